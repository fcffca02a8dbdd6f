"""``seenby demo``: the example organisation on a local AWS endpoint, scanned live, audited, reported."""

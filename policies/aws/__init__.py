"""AWS access semantics: IAM policy language, S3 ACLs and Block Public Access, KMS, SCPs."""

# The configuration behind tests/gate/plans/org_wide_bucket.json (used to locate .tf files in SARIF).
data "aws_caller_identity" "current" {}

variable "bucket_name" {
  default = "corp-keystroke-telemetry"
}

resource "aws_s3_bucket" "telemetry" {
  bucket = var.bucket_name
  tags = {
    classification = "employee-telemetry"
  }
}

data "aws_iam_policy_document" "org_read" {
  statement {
    sid       = "OrgWideRead"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::${var.bucket_name}", "arn:aws:s3:::${var.bucket_name}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalOrgID"
      values   = ["o-a1b2c3d4e5"]
    }
  }
}

resource "aws_s3_bucket_policy" "telemetry" {
  bucket = aws_s3_bucket.telemetry.id
  policy = data.aws_iam_policy_document.org_read.json
}

module "jobs" {
  source = "./modules/jobs"
}

# Configuration of plans/s3_v3_inline.json (AWS provider ~> 3.76): inline bucket arguments.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 3.76" }
  }
}

provider "aws" {
  region = "eu-west-1"
}

resource "aws_s3_bucket" "share" {
  bucket = "corp-legacy-share"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "PublicRead"
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "arn:aws:s3:::corp-legacy-share/*"
    }]
  })

  grant {
    type        = "Group"
    permissions = ["READ"]
    uri         = "http://acs.amazonaws.com/groups/global/AllUsers"
  }
}

resource "aws_s3_bucket_public_access_block" "share" {
  bucket                  = aws_s3_bucket.share.id
  block_public_acls       = false
  block_public_policy     = false
  ignore_public_acls      = false
  restrict_public_buckets = false
}

resource "aws_s3_bucket_ownership_controls" "share" {
  bucket = aws_s3_bucket.share.id
  rule {
    object_ownership = "ObjectWriter"
  }
}

resource "aws_s3_bucket" "site" {
  bucket = "corp-legacy-site"
  acl    = "public-read"
}

resource "aws_s3_bucket_public_access_block" "site" {
  bucket                  = aws_s3_bucket.site.id
  block_public_acls       = false
  block_public_policy     = false
  ignore_public_acls      = false
  restrict_public_buckets = false
}

resource "aws_s3_bucket_ownership_controls" "site" {
  bucket = aws_s3_bucket.site.id
  rule {
    object_ownership = "ObjectWriter"
  }
}

resource "aws_sqs_queue" "reports" {
  name = "report-jobs"
}

resource "aws_cloudwatch_log_group" "reports" {
  name              = "/jobs/report"
  retention_in_days = 30
}

# Alarms, each notifying the topic when it fires and when it clears.

# A service with no running task sends no CPU datapoint: missing data counts as breaching.
resource "aws_cloudwatch_metric_alarm" "ecs_service_down" {
  for_each = toset(var.ecs_service_names)

  alarm_name          = "${var.name}-ecs-${each.key}-down"
  alarm_description   = "No running task of the Dagster ${each.key} service for 10 minutes (terraform/README.md: when an alarm fires)."
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  dimensions          = { ClusterName = var.ecs_cluster_name, ServiceName = each.key }
  statistic           = "SampleCount"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

resource "aws_cloudwatch_metric_alarm" "rds_free_storage" {
  for_each = var.db_instances

  alarm_name          = "${var.name}-rds-${each.key}-storage"
  alarm_description   = "Under 10% free storage on the ${each.key} database."
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = { DBInstanceIdentifier = each.value.identifier }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = each.value.allocated_gib * 1024 * 1024 * 1024 / 10
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

resource "aws_cloudwatch_metric_alarm" "rds_cpu" {
  for_each = var.db_instances

  alarm_name          = "${var.name}-rds-${each.key}-cpu"
  alarm_description   = "Over 80% CPU on the ${each.key} database for 15 minutes."
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = { DBInstanceIdentifier = each.value.identifier }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = toset(var.lambda_function_names)

  alarm_name          = "${each.key}-errors"
  alarm_description   = "The ${each.key} function failed (its log group says why; failed events wait in the landing-failures queue)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.key }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

resource "aws_cloudwatch_metric_alarm" "landing_failures" {
  alarm_name          = "${var.name}-landing-failures"
  alarm_description   = "Landed-file events the Lambda gave up on are waiting in ${aws_sqs_queue.landing_failures.name}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.landing_failures.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

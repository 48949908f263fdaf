output "topic_arn" {
  description = "ARN of the alerts topic (CHINOOK_ALERTS_TOPIC_ARN: the run-failure sensor publishes to it)."
  value       = aws_sns_topic.this.arn
}

output "landing_failures_queue_arn" {
  description = "ARN of the queue the landing Lambdas send the events they failed on to."
  value       = aws_sqs_queue.landing_failures.arn
}

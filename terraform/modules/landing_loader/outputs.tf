output "function_arn" {
  description = "ARN of the function. Depends on the S3 invoke permission, so a bucket notification using it is created only once S3 may invoke the function."
  value       = aws_lambda_function.this.arn

  depends_on = [aws_lambda_permission.s3]
}

output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "log_group_name" {
  description = "CloudWatch log group with one JSON line per landed file."
  value       = aws_cloudwatch_log_group.this.name
}

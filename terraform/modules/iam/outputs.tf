output "role_arn" {
  description = "ARN of the Dagster runner role (assume it, or use it as an ECS task / instance role)."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the Dagster runner role."
  value       = aws_iam_role.this.name
}

output "policy_arn" {
  description = "ARN of the runner's managed policy (attach it elsewhere if the runner uses another principal)."
  value       = aws_iam_policy.this.arn
}

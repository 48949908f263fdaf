output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "repository_url" {
  description = "URL of the ECR repository `make image` pushes to."
  value       = aws_ecr_repository.this.repository_url
}

output "webserver_host" {
  description = "Private DNS name of the webserver (the remote host of the SSM port forward)."
  value       = "webserver.${local.namespace}"
}

output "security_group_id" {
  description = "ID of the tasks' security group."
  value       = aws_security_group.this.id
}

output "log_group_name" {
  description = "CloudWatch log group of the services and runs."
  value       = aws_cloudwatch_log_group.this.name
}

output "task_role_arn" {
  description = "ARN of the role the services and runs assume."
  value       = aws_iam_role.task.arn
}

output "service_names" {
  description = "Names of the ECS services (code-location, webserver, daemon)."
  value       = keys(aws_ecs_service.this)
}

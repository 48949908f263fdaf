output "workgroup_endpoint" {
  description = "Address and port of the workgroup endpoint."
  value = {
    address = aws_redshiftserverless_workgroup.this.endpoint[0].address
    port    = aws_redshiftserverless_workgroup.this.endpoint[0].port
  }
}

output "database_name" {
  description = "Name of the namespace's first database."
  value       = aws_redshiftserverless_namespace.this.db_name
}

output "admin_username" {
  description = "Admin user name (the password is in the secret below)."
  value       = var.admin_username
}

output "admin_password_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the admin credentials."
  value       = aws_redshiftserverless_namespace.this.admin_password_secret_arn
}

output "copy_role_arn" {
  description = "ARN of the IAM role to name in COPY ... IAM_ROLE (also the namespace's default role)."
  value       = aws_iam_role.copy.arn
}

output "security_group_id" {
  description = "ID of the workgroup's security group."
  value       = aws_security_group.this.id
}

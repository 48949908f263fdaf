# Names, endpoints and secret ARNs only: no output ever carries a password or a secret value.

output "landing_bucket_name" {
  description = "Name of the landing bucket."
  value       = module.storage.landing_bucket_name
}

output "lake_bucket_name" {
  description = "Name of the lake bucket."
  value       = module.storage.lake_bucket_name
}

output "oltp_endpoint" {
  description = "OLTP PostgreSQL endpoint (host:port), reachable from inside the VPC only."
  value       = module.databases.instances["oltp"].endpoint
}

output "oltp_address" {
  description = "OLTP PostgreSQL host name (the remote host of an SSM port-forwarding session)."
  value       = module.databases.instances["oltp"].address
}

output "oltp_database_name" {
  description = "Name of the OLTP database."
  value       = module.databases.instances["oltp"].db_name
}

output "oltp_master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret with the OLTP master user name and password."
  value       = module.databases.master_user_secret_arns["oltp"]
}

output "olap_endpoint" {
  description = "OLAP (warehouse) PostgreSQL endpoint (host:port), reachable from inside the VPC only."
  value       = module.databases.instances["olap"].endpoint
}

output "olap_address" {
  description = "OLAP PostgreSQL host name (the remote host of an SSM port-forwarding session)."
  value       = module.databases.instances["olap"].address
}

output "olap_database_name" {
  description = "Name of the OLAP database."
  value       = module.databases.instances["olap"].db_name
}

output "olap_master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret with the OLAP master user name and password."
  value       = module.databases.master_user_secret_arns["olap"]
}

output "db_master_username" {
  description = "Master user name of both PostgreSQL instances (the passwords are in the secrets)."
  value       = var.db_master_username
}

output "bastion_instance_id" {
  description = "Instance ID of the bastion, the target of `aws ssm start-session`."
  value       = module.bastion.instance_id
}

output "ssm_port_forward_commands" {
  description = "Commands that forward local ports 15432 (OLTP) and 15433 (OLAP) to the databases through the bastion."
  value = {
    for role, local_port in { oltp = 15432, olap = 15433 } : role => join(" ", [
      "aws ssm start-session --region ${var.aws_region}",
      "--target ${module.bastion.instance_id}",
      "--document-name AWS-StartPortForwardingSessionToRemoteHost",
      "--parameters host=${module.databases.instances[role].address},portNumber=5432,localPortNumber=${local_port}",
    ])
  }
}

output "landing_notifier_function_name" {
  description = "Name of the Lambda function that tags landed objects."
  value       = module.landing_notifier.function_name
}

output "landing_notifier_log_group" {
  description = "CloudWatch log group with one JSON line per landed object."
  value       = module.landing_notifier.log_group_name
}

output "dagster_runner_role_arn" {
  description = "ARN of the least-privilege IAM role for the Dagster runner."
  value       = module.dagster_runner_iam.role_arn
}

output "redshift_workgroup_endpoint" {
  description = "Redshift Serverless workgroup address and port, or null when Redshift is disabled."
  value       = one(module.redshift[*].workgroup_endpoint)
}

output "redshift_admin_secret_arn" {
  description = "ARN of the Secrets Manager secret with the Redshift admin credentials, or null when disabled."
  value       = one(module.redshift[*].admin_password_secret_arn)
}

output "redshift_copy_role_arn" {
  description = "ARN of the IAM role for COPY from the lake, or null when Redshift is disabled."
  value       = one(module.redshift[*].copy_role_arn)
}

output "quicksight_data_source_arn" {
  description = "ARN of the QuickSight data source for the OLAP database, or null when QuickSight is disabled."
  value       = one(module.quicksight[*].data_source_arn)
}

output "aws_region" {
  description = "Region of the deployment (AWS_REGION of the platform)."
  value       = var.aws_region
}

output "oltp_port" {
  description = "Port of the OLTP PostgreSQL instance."
  value       = module.databases.instances["oltp"].port
}

output "olap_port" {
  description = "Port of the OLAP PostgreSQL instance."
  value       = module.databases.instances["olap"].port
}

output "redshift_database_name" {
  description = "Database of the Redshift Serverless namespace, or null when Redshift is disabled."
  value       = one(module.redshift[*].database_name)
}

output "redshift_admin_username" {
  description = "Admin user of the Redshift Serverless namespace (its password is in the secret), or null when disabled."
  value       = one(module.redshift[*].admin_username)
}

# `chinook env --from-terraform` (chinook_platform/lib/terraform_env.py) turns these outputs into the platform's
# complete settings, credentials as the secret ARNs above.

output "oltp_schema" {
  description = "PostgreSQL schema of the OLTP tables."
  value       = var.oltp_schema
}

output "landing_loader" {
  description = "Who loads landed files: dagster (the landing sensor) or lambda."
  value       = var.landing_loader
}

output "landing_loader_function_name" {
  description = "Name of the landing loader Lambda function, or null when Dagster loads."
  value       = one(module.landing_loader[*].function_name)
}

output "dagster_ecr_repository_url" {
  description = "ECR repository of the Dagster image (`make image` pushes here), or null when Dagster on ECS is disabled."
  value       = one(module.dagster[*].repository_url)
}

output "dagster_cluster_name" {
  description = "ECS cluster of the Dagster services and runs, or null when disabled."
  value       = one(module.dagster[*].cluster_name)
}

output "dagster_log_group" {
  description = "CloudWatch log group of the Dagster services and runs, or null when disabled."
  value       = one(module.dagster[*].log_group_name)
}

output "dagster_webserver_port_forward_command" {
  description = "Forwards local port 3000 to the Dagster webserver through the bastion (SSM), or null when disabled."
  value = one([for dagster in module.dagster : join(" ", [
    "aws ssm start-session --region ${var.aws_region}",
    "--target ${module.bastion.instance_id}",
    "--document-name AWS-StartPortForwardingSessionToRemoteHost",
    "--parameters host=${dagster.webserver_host},portNumber=3000,localPortNumber=3000",
  ])])
}

output "quicksight_dashboard_id" {
  description = "ID of the QuickSight sales dashboard over the KPI tables, or null when QuickSight is disabled."
  value       = one(module.quicksight[*].dashboard_id)
}

output "alerts_topic_arn" {
  description = "ARN of the SNS topic alarms, the budget and failed Dagster runs notify (subscribe to it: terraform/README.md)."
  value       = module.alerts.topic_arn
}

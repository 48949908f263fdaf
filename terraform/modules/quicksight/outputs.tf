output "security_group_id" {
  description = "ID of the VPC connection's security group (allowed into the OLAP database)."
  value       = aws_security_group.this.id
}

output "vpc_connection_arn" {
  description = "ARN of the QuickSight VPC connection."
  value       = aws_quicksight_vpc_connection.this.arn
}

output "data_source_arn" {
  description = "ARN of the QuickSight data source for the OLAP database."
  value       = aws_quicksight_data_source.olap.arn
}

output "data_set_arns" {
  description = "ARNs of the datasets, by warehouse table."
  value       = { for table, data_set in aws_quicksight_data_set.this : table => data_set.arn }
}

output "dashboard_id" {
  description = "ID of the sales dashboard."
  value       = aws_quicksight_dashboard.sales.dashboard_id
}

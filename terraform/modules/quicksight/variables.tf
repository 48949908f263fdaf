variable "name" {
  description = "Name prefix of the VPC connection, data source, role and security group."
  type        = string
}

variable "vpc_id" {
  description = "ID of the VPC QuickSight connects into."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnet IDs (two or more Availability Zones) for QuickSight's network interfaces."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "QuickSight VPC connections need subnets in at least two Availability Zones."
  }
}

variable "database_security_group_id" {
  description = "Security group of the warehouse (OLAP PostgreSQL or Redshift): this module adds the rule letting QuickSight in."
  type        = string
}

variable "database" {
  description = "The warehouse dbt builds into: engine (postgresql or redshift), host, port, database name and the ARN of the Secrets Manager secret holding its credentials (never a password)."
  type = object({
    engine     = string
    host       = string
    port       = number
    name       = string
    secret_arn = string
  })

  validation {
    condition     = contains(["postgresql", "redshift"], var.database.engine)
    error_message = "database.engine must be postgresql or redshift."
  }
}

variable "owner_arn" {
  description = "Optional QuickSight user or group ARN given owner permissions on the data source."
  type        = string
  default     = null
}

variable "analytics_schema" {
  description = "Schema of the dbt marts and KPI tables the datasets read (CHINOOK_WAREHOUSE_SCHEMA)."
  type        = string
  default     = "analytics"
}

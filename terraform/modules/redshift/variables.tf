variable "name" {
  description = "Name of the namespace and workgroup, and prefix of the IAM role and security group."
  type        = string
}

variable "vpc_id" {
  description = "ID of the VPC of the workgroup's security group."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnet IDs for the workgroup: Redshift Serverless needs three Availability Zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 3
    error_message = "Redshift Serverless workgroups need subnets in at least three Availability Zones."
  }
}

variable "s3_prefix_list_id" {
  description = "Managed prefix list of S3 (from the VPC's gateway endpoint) that COPY traffic is allowed to."
  type        = string
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed to connect on 5439, by a static label."
  type        = map(string)
}

variable "lake_bucket_arn" {
  description = "ARN of the lake bucket that COPY reads Parquet from."
  type        = string
}

variable "database_name" {
  description = "Name of the first database created in the namespace."
  type        = string
  default     = "warehouse"
}

variable "admin_username" {
  description = "Admin user name (its password is managed by AWS in Secrets Manager). Choose it before the first apply: changing it later is not supported in managed-password mode."
  type        = string
  default     = "chinook_admin"
}

variable "base_capacity" {
  description = "Base capacity of the workgroup in RPUs."
  type        = number
  default     = 8
}

variable "daily_rpu_hours_limit" {
  description = "Daily compute cap in RPU-hours after which the workgroup is deactivated; null for no cap."
  type        = number
  default     = 8
}

variable "name" {
  description = "Name of the Dagster runner's IAM role and policy."
  type        = string
}

variable "landing_bucket_arn" {
  description = "ARN of the landing bucket: the runner lists and reads it, and uploads CSVs to it (`chinook land`)."
  type        = string
}

variable "lake_bucket_arn" {
  description = "ARN of the lake bucket: the runner lists, reads, writes and replaces Parquet files in it."
  type        = string
}

variable "secret_arns" {
  description = "ARNs of the Secrets Manager secrets the runner may read (the RDS master secrets, and Redshift's when enabled)."
  type        = list(string)
}

variable "trusted_principal_arns" {
  description = "IAM principal ARNs allowed to assume the role (an account root ARN delegates the decision to IAM policies in that account)."
  type        = list(string)

  validation {
    condition     = length(var.trusted_principal_arns) > 0
    error_message = "At least one principal must be trusted to assume the role."
  }
}

variable "max_session_duration" {
  description = "Maximum session duration of the role in seconds (3600-43200)."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "alerts_topic_arn" {
  description = "ARN of the alerts topic the run-failure sensor publishes to."
  type        = string
}

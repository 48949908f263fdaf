variable "landing_bucket_name" {
  description = "Name of the landing bucket, where raw Chinook CSVs arrive."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.landing_bucket_name))
    error_message = "landing_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "lake_bucket_name" {
  description = "Name of the lake bucket, where the platform writes Parquet extracts."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket_name))
    error_message = "lake_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "artifacts_bucket_name" {
  description = "Name of the bucket holding deployment artifacts (the landing loader's zip)."
  type        = string
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions are deleted."
  type        = number
  default     = 30
}

variable "force_destroy" {
  description = "Allow destroying the buckets while they still hold objects."
  type        = bool
  default     = false
}

variable "landing_notifier_function_arn" {
  description = "ARN of the Lambda function notified of every object created in the landing bucket (the notifier or the loader). Its resource policy must already allow s3.amazonaws.com to invoke it."
  type        = string
}

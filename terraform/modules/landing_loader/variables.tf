variable "function_name" {
  description = "Name of the Lambda function (also names its role, log group and security groups)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "artifact_path" {
  description = "Path of the deployment zip built by `make lambda-zip` (terraform/.build/landing-loader.zip)."
  type        = string
}

variable "artifacts_bucket_name" {
  description = "Bucket the deployment zip is uploaded to (over Lambda's 50 MB direct-upload limit)."
  type        = string
}

variable "landing_bucket_arn" {
  description = "ARN of the landing bucket whose objects the function loads."
  type        = string
}

variable "vpc_id" {
  description = "ID of the VPC the function runs in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnet IDs for the function (the first also holds the Secrets Manager endpoint)."
  type        = list(string)
}

variable "s3_prefix_list_id" {
  description = "Managed prefix list of S3 (the gateway endpoint), for the function's egress rule."
  type        = string
}

variable "database_security_group_id" {
  description = "Security group of the OLTP database: this module adds the rule letting the function in."
  type        = string
}

variable "database" {
  description = "The OLTP database: host, port, name, schema and the ARN of the secret with its credentials (never a password)."
  type = object({
    host       = string
    port       = number
    name       = string
    schema     = string
    secret_arn = string
  })
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group, in days."
  type        = number
  default     = 14
}

variable "memory_size" {
  description = "Memory of the function in MB (CPU scales with it; 1024 loads the sample data in seconds)."
  type        = number
  default     = 1024
}

variable "timeout" {
  description = "Timeout of one invocation in seconds (at most 900)."
  type        = number
  default     = 300
}

variable "dead_letter_queue_arn" {
  description = "ARN of the SQS queue the function sends the events it failed on to (after the asynchronous retries)."
  type        = string
}

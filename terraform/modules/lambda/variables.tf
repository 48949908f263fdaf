variable "function_name" {
  description = "Name of the Lambda function (also names its role and log group)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "artifact_path" {
  description = "Path of the function's deployment zip (handler.py at its root), built by `make lambda-zip`."
  type        = string
}

variable "landing_bucket_arn" {
  description = "ARN of the landing bucket whose objects the function reads the metadata of and tags."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group, in days."
  type        = number
  default     = 14
}

variable "memory_size" {
  description = "Memory of the function in MB."
  type        = number
  default     = 128
}

variable "timeout" {
  description = "Timeout of one invocation in seconds."
  type        = number
  default     = 30
}

variable "dead_letter_queue_arn" {
  description = "ARN of the SQS queue the function sends the events it failed on to (after the asynchronous retries)."
  type        = string
}

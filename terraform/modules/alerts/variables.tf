variable "name" {
  description = "Prefix of every resource name (project-environment)."
  type        = string
}

variable "email" {
  description = "Optional address subscribed to the alerts topic (AWS sends a confirmation first); null for none."
  type        = string
  default     = null
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget in USD: the topic hears at 80% actual and 100% forecast."
  type        = number
}

variable "ecs_cluster_name" {
  description = "ECS cluster of the Dagster services (null when Dagster on ECS is off)."
  type        = string
  default     = null
}

variable "ecs_service_names" {
  description = "Names of the Dagster ECS services to alarm on (none when Dagster on ECS is off)."
  type        = list(string)
  default     = []
}

variable "db_instances" {
  description = "RDS instances by role: identifier and allocated storage in GiB."
  type = map(object({
    identifier    = string
    allocated_gib = number
  }))
}

variable "lambda_function_names" {
  description = "Lambda functions whose errors alarm."
  type        = list(string)
}

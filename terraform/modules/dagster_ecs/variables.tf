variable "name" {
  description = "Name prefix of the cluster, repository, roles, log group and task families."
  type        = string
}

variable "vpc_id" {
  description = "ID of the VPC the tasks run in."
  type        = string
}

variable "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC (the tasks' egress to Redshift Serverless inside it)."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of the tasks: the public ones with assign_public_ip (no NAT needed), or private ones behind a NAT gateway."
  type        = list(string)
}

variable "assign_public_ip" {
  description = "Give each task a public IPv4 address for outbound calls (ECR, AWS APIs); needed in public subnets without NAT. No ingress rule admits the internet."
  type        = bool
  default     = true
}

variable "bastion_security_group_id" {
  description = "Security group of the SSM bastion, the only source allowed to the webserver (port 3000)."
  type        = string
}

variable "database_security_group_id" {
  description = "Security group of the PostgreSQL instances: this module adds the rule letting the tasks in."
  type        = string
}

variable "dagster_storage" {
  description = "Where Dagster keeps runs, events and schedules: host, port and database on RDS, and the secret with the credentials (never a password)."
  type = object({
    host       = string
    port       = number
    db_name    = string
    secret_arn = string
  })
}

variable "platform_settings" {
  description = "The platform's settings (CHINOOK_*, AWS_REGION): what `chinook env --from-terraform` writes, credentials as secret ARNs."
  type        = map(string)
}

variable "platform_policy_arn" {
  description = "ARN of the runner's least-privilege policy (buckets and database secrets), attached to the task role."
  type        = string
}

variable "image_tag" {
  description = "Tag of the image in the repository to run (`make image` pushes the git commit's short hash)."
  type        = string
}

variable "service_cpu" {
  description = "CPU units of each service task (webserver, daemon, code location): 512 = 0.5 vCPU."
  type        = number
  default     = 512
}

variable "service_memory" {
  description = "Memory of each service task in MiB."
  type        = number
  default     = 1024
}

variable "run_cpu" {
  description = "CPU units of each run task (dbt runs here)."
  type        = number
  default     = 1024
}

variable "run_memory" {
  description = "Memory of each run task in MiB."
  type        = number
  default     = 2048
}

variable "log_retention_days" {
  description = "Retention of the tasks' CloudWatch log group, in days."
  type        = number
  default     = 14
}

variable "images_to_keep" {
  description = "Images kept in the repository; older ones expire."
  type        = number
  default     = 10
}

variable "force_delete_images" {
  description = "Let `terraform destroy` delete the repository while it holds images."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------------------------
# General
# ---------------------------------------------------------------------------------------------------------

variable "aws_region" {
  description = "AWS Region to deploy into, e.g. eu-west-1."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a Region code such as eu-west-1 or us-east-1."
  }
}

variable "allowed_account_ids" {
  description = "If not empty, the AWS provider refuses to run against any account but these (12-digit ids)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.allowed_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "allowed_account_ids must be 12-digit AWS account ids."
  }
}

variable "project_name" {
  description = "Short name used as the prefix of every resource name."
  type        = string
  default     = "chinook"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.project_name))
    error_message = "project_name must be 3-20 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (dev, staging, prod, ...); part of resource names and the Environment tag."
  type        = string
  default     = "dev"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2-10 lowercase letters or digits, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for every resource (merged under the provider's default_tags)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC; /16 to /20. Subnets are carved as /24s (public 0-2, private 10-12)."
  type        = string
  default     = "10.42.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be a valid IPv4 CIDR block with a prefix length between /16 and /20."
  }
}

variable "az_count" {
  description = "Availability Zones to spread subnets over (one public and one private subnet each). Raised to 3 automatically when Redshift Serverless is enabled, which requires three."
  type        = number
  default     = 2

  validation {
    condition     = contains([2, 3], var.az_count)
    error_message = "az_count must be 2 or 3."
  }
}

variable "availability_zones" {
  description = "Availability Zone names to pin (2 or 3, or 3 with Redshift); empty (default) takes the first az_count zones of the Region."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || (length(var.availability_zones) >= 2 && length(var.availability_zones) <= 3)
    error_message = "availability_zones must be empty or name two or three zones."
  }
}

variable "enable_nat_gateway" {
  description = "Create one NAT gateway so private subnets reach the internet. NOT free (about USD 32/month plus data); off by default: S3 is reached through the free gateway endpoint."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------------------------------------

variable "s3_noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions in the landing and lake buckets are deleted."
  type        = number
  default     = 30

  validation {
    condition     = var.s3_noncurrent_version_expiration_days >= 1 && floor(var.s3_noncurrent_version_expiration_days) == var.s3_noncurrent_version_expiration_days
    error_message = "s3_noncurrent_version_expiration_days must be a whole number of at least 1."
  }
}

variable "s3_force_destroy" {
  description = "Let `terraform destroy` delete the landing and lake buckets even when they hold objects. Keep false outside throwaway environments."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------------------------
# Bastion
# ---------------------------------------------------------------------------------------------------------

variable "bastion_instance_type" {
  description = "Instance type of the bastion (t3.micro is free-tier eligible; t4g types switch to the arm64 AMI)."
  type        = string
  default     = "t3.micro"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.bastion_instance_type))
    error_message = "bastion_instance_type must look like an EC2 instance type, e.g. t3.micro."
  }
}

variable "bastion_ssh_allowed_cidr" {
  description = "Optional IPv4 CIDR (e.g. your address/32) allowed to SSH to the bastion. null (default) opens no inbound port at all: use SSM Session Manager."
  type        = string
  default     = null

  validation {
    condition     = var.bastion_ssh_allowed_cidr == null || (can(cidrhost(var.bastion_ssh_allowed_cidr, 0)) && !endswith(coalesce(var.bastion_ssh_allowed_cidr, "0.0.0.0/0"), "/0"))
    error_message = "bastion_ssh_allowed_cidr must be null or a valid IPv4 CIDR narrower than /0 (e.g. 203.0.113.7/32)."
  }
}

variable "bastion_ssh_key_name" {
  description = "Optional EC2 key pair name for SSH to the bastion; only useful with bastion_ssh_allowed_cidr."
  type        = string
  default     = null
}

# ---------------------------------------------------------------------------------------------------------
# Databases (RDS PostgreSQL: OLTP and OLAP)
# ---------------------------------------------------------------------------------------------------------

variable "db_instance_class" {
  description = "RDS instance class of both PostgreSQL instances (db.t4g.micro is free-tier eligible)."
  type        = string
  default     = "db.t4g.micro"

  validation {
    condition     = startswith(var.db_instance_class, "db.")
    error_message = "db_instance_class must be an RDS instance class such as db.t4g.micro."
  }
}

variable "db_engine_version" {
  description = "PostgreSQL engine version: a major version (\"16\", minor upgrades automatic) or major.minor."
  type        = string
  default     = "16"

  validation {
    condition     = can(regex("^1[6-9](\\.[0-9]+)?$", var.db_engine_version))
    error_message = "db_engine_version must be PostgreSQL 16 or later, e.g. \"16\" or \"16.4\"."
  }
}

variable "db_allocated_storage" {
  description = "Allocated gp3 storage per instance in GiB (20 is the gp3 minimum and the free-tier allowance)."
  type        = number
  default     = 20

  validation {
    condition     = var.db_allocated_storage >= 20 && var.db_allocated_storage <= 1000
    error_message = "db_allocated_storage must be between 20 and 1000 GiB."
  }
}

variable "db_master_username" {
  description = "Master user name of both instances. The password is generated and kept by RDS in Secrets Manager."
  type        = string
  default     = "chinook_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_master_username)) && !startswith(var.db_master_username, "pg_") && !startswith(var.db_master_username, "rds")
    error_message = "db_master_username must start with a letter, use lowercase letters, digits or underscores, and not start with the reserved pg_ or rds prefixes."
  }
}

variable "db_backup_retention_days" {
  description = "Days of automated RDS backups (0 disables them). Backup storage up to the size of the databases is free."
  type        = number
  default     = 7

  validation {
    condition     = var.db_backup_retention_days >= 0 && var.db_backup_retention_days <= 35 && floor(var.db_backup_retention_days) == var.db_backup_retention_days
    error_message = "db_backup_retention_days must be a whole number between 0 and 35."
  }
}

variable "db_deletion_protection" {
  description = "Protect both RDS instances from deletion. Set false (and apply) before `terraform destroy`."
  type        = bool
  default     = true
}

variable "db_skip_final_snapshot" {
  description = "Skip the final snapshot when an RDS instance is destroyed (true only for throwaway environments)."
  type        = bool
  default     = false
}

variable "db_apply_immediately" {
  description = "Apply RDS modifications immediately instead of in the next maintenance window."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------------------------
# Redshift Serverless (optional, NOT free)
# ---------------------------------------------------------------------------------------------------------

variable "enable_redshift" {
  description = "Create a Redshift Serverless namespace and workgroup as the warehouse (CHINOOK_WAREHOUSE_TARGET=redshift). NOT free: billed per RPU-hour while queries run."
  type        = bool
  default     = false
}

variable "redshift_base_capacity" {
  description = "Base capacity of the Redshift Serverless workgroup in RPUs: 4 (the smallest, half the hourly cost of 8) or a multiple of 8 up to 1024."
  type        = number
  default     = 8

  validation {
    condition     = var.redshift_base_capacity == 4 || (var.redshift_base_capacity >= 8 && var.redshift_base_capacity <= 1024 && var.redshift_base_capacity % 8 == 0)
    error_message = "redshift_base_capacity must be 4 or a multiple of 8 between 8 and 1024."
  }
}

variable "redshift_daily_rpu_hours_limit" {
  description = "Daily cap on Redshift Serverless compute in RPU-hours; when reached the workgroup is deactivated until the next day. null removes the cap."
  type        = number
  default     = 8

  validation {
    condition     = var.redshift_daily_rpu_hours_limit == null || coalesce(var.redshift_daily_rpu_hours_limit, 1) >= 1
    error_message = "redshift_daily_rpu_hours_limit must be null or at least 1."
  }
}

# ---------------------------------------------------------------------------------------------------------
# QuickSight (optional, NOT free)
# ---------------------------------------------------------------------------------------------------------

variable "enable_quicksight" {
  description = "Create a QuickSight VPC connection, a data source for the OLAP database, datasets over the KPI and mart tables and a sales dashboard. Needs an existing QuickSight Enterprise subscription (NOT free) with access to Secrets Manager granted."
  type        = bool
  default     = false
}

variable "quicksight_owner_arn" {
  description = "Optional QuickSight user or group ARN given owner permissions on the data source."
  type        = string
  default     = null

  validation {
    condition     = var.quicksight_owner_arn == null || can(regex("^arn:aws[a-z-]*:quicksight:", coalesce(var.quicksight_owner_arn, "-")))
    error_message = "quicksight_owner_arn must be a QuickSight user or group ARN."
  }
}

# ---------------------------------------------------------------------------------------------------------
# Lambda and IAM
# ---------------------------------------------------------------------------------------------------------

variable "landing_loader" {
  description = "Who loads landed files into the OLTP database: \"dagster\" (the landing sensor starts runs; default) or \"lambda\" (the landing loader function, run by S3 for each object; build it first with `make lambda-zip`)."
  type        = string
  default     = "dagster"

  validation {
    condition     = contains(["dagster", "lambda"], var.landing_loader)
    error_message = "landing_loader must be \"dagster\" or \"lambda\"."
  }
}

variable "oltp_schema" {
  description = "PostgreSQL schema of the OLTP tables (CHINOOK_OLTP_SCHEMA), created on first load."
  type        = string
  default     = "chinook"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.oltp_schema))
    error_message = "oltp_schema must be a lowercase PostgreSQL identifier."
  }
}

variable "lambda_artifacts_dir" {
  description = "Directory holding the Lambda zips built by `make lambda-zip` (landing-notifier.zip, landing-loader.zip); null: terraform/.build."
  type        = string
  default     = null
}

variable "lambda_log_retention_days" {
  description = "Retention of the landing notifier's CloudWatch log group, in days."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.lambda_log_retention_days)
    error_message = "lambda_log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "dagster_runner_trusted_principal_arns" {
  description = "IAM principal ARNs (users or roles) allowed to assume the Dagster runner role. Empty (default) trusts the account itself, i.e. any principal that an IAM policy in this account allows sts:AssumeRole on the role."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.dagster_runner_trusted_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:", arn))])
    error_message = "dagster_runner_trusted_principal_arns must be IAM ARNs."
  }
}

# ---------------------------------------------------------------------------------------------------------
# Dagster on ECS Fargate (NOT free: about USD 55/month in the default shape, see README)
# ---------------------------------------------------------------------------------------------------------

variable "enable_dagster" {
  description = "Run the code location, webserver and daemon on ECS Fargate (runs as their own tasks). NOT free: about USD 55/month in the default shape (terraform/README.md). Push an image first: `make image`."
  type        = bool
  default     = false
}

variable "dagster_image_tag" {
  description = "Tag of the Dagster image in the ECR repository (`make image` pushes the git commit's short hash)."
  type        = string
  default     = "latest"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.dagster_image_tag))
    error_message = "dagster_image_tag must be a valid image tag."
  }
}

variable "dagster_service_cpu" {
  description = "CPU units of each Dagster service task (512 = 0.5 vCPU; Fargate pairs it with 1-4 GiB)."
  type        = number
  default     = 512
}

variable "dagster_service_memory" {
  description = "Memory of each Dagster service task in MiB."
  type        = number
  default     = 1024
}

variable "alert_email" {
  description = "Optional e-mail address subscribed to the alerts topic (alarms, budget, failed Dagster runs); null for none."
  type        = string
  default     = null
}

variable "monthly_budget_usd" {
  description = "Monthly AWS cost budget in USD: the alerts topic hears at 80% of it spent and at 100% forecast."
  type        = number
  default     = 100

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be positive."
  }
}

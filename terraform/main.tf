data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  name       = "${var.project_name}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id

  # Redshift Serverless workgroups need subnets in three Availability Zones.
  az_count = var.enable_redshift ? max(var.az_count, 3) : var.az_count

  # Bucket names are global: the account id and Region make them unique without a random suffix.
  landing_bucket_name   = "${local.name}-landing-${local.account_id}-${var.aws_region}"
  lake_bucket_name      = "${local.name}-lake-${local.account_id}-${var.aws_region}"
  artifacts_bucket_name = "${local.name}-artifacts-${local.account_id}-${var.aws_region}"

  # Who loads landed files: the Dagster landing sensor (default) or the landing loader Lambda.
  lambda_loads = var.landing_loader == "lambda"

  # The Lambda zips come from `make lambda-zip` (chinook_platform/lambdas/artifact.py), not the archive provider.
  lambda_artifacts_dir = coalesce(var.lambda_artifacts_dir, "${path.module}/.build")

  # The platform's settings in the cloud, as the ECS tasks get them; `chinook env --from-terraform` writes the
  # same from the outputs (chinook_platform/lib/terraform_env.py; a test keeps the two in step).
  oltp = module.databases.instances["oltp"]
  olap = module.databases.instances["olap"]
  redshift_settings = {
    CHINOOK_REDSHIFT_HOST       = one(module.redshift[*].workgroup_endpoint.address)
    CHINOOK_REDSHIFT_PORT       = try(tostring(one(module.redshift[*].workgroup_endpoint.port)), null)
    CHINOOK_REDSHIFT_DBNAME     = one(module.redshift[*].database_name)
    CHINOOK_REDSHIFT_SECRET_ARN = one(module.redshift[*].admin_password_secret_arn)
    CHINOOK_REDSHIFT_IAM_ROLE   = one(module.redshift[*].copy_role_arn)
  }
  platform_settings = merge({
    AWS_REGION                      = var.aws_region
    CHINOOK_LANDING_URL             = "s3://${module.storage.landing_bucket_name}/"
    CHINOOK_LAKE_URL                = "s3://${module.storage.lake_bucket_name}/"
    CHINOOK_REPORTS_URL             = "s3://${module.storage.lake_bucket_name}/reports/"
    CHINOOK_OLTP_URL                = "postgresql+psycopg://${local.oltp.address}:${local.oltp.port}/${local.oltp.db_name}?sslmode=require"
    CHINOOK_OLTP_SECRET_ARN         = module.databases.master_user_secret_arns["oltp"]
    CHINOOK_OLTP_SCHEMA             = var.oltp_schema
    CHINOOK_WAREHOUSE_TARGET        = var.enable_redshift ? "redshift" : "postgres"
    CHINOOK_STAGING_SCHEMA          = "staging"
    CHINOOK_WAREHOUSE_SCHEMA        = "analytics"
    CHINOOK_WAREHOUSE_PG_HOST       = local.olap.address
    CHINOOK_WAREHOUSE_PG_PORT       = tostring(local.olap.port)
    CHINOOK_WAREHOUSE_PG_DBNAME     = local.olap.db_name
    CHINOOK_WAREHOUSE_PG_SECRET_ARN = module.databases.master_user_secret_arns["olap"]
    CHINOOK_ALERTS_TOPIC_ARN        = module.alerts.topic_arn
  }, { for name, value in local.redshift_settings : name => value if var.enable_redshift })

}

module "network" {
  source = "./modules/network"

  name               = local.name
  cidr_block         = var.vpc_cidr
  az_count           = local.az_count
  azs                = var.availability_zones
  enable_nat_gateway = var.enable_nat_gateway
}

module "storage" {
  source = "./modules/storage"

  landing_bucket_name                = local.landing_bucket_name
  lake_bucket_name                   = local.lake_bucket_name
  artifacts_bucket_name              = local.artifacts_bucket_name
  noncurrent_version_expiration_days = var.s3_noncurrent_version_expiration_days
  force_destroy                      = var.s3_force_destroy
  landing_notifier_function_arn      = local.lambda_loads ? module.landing_loader[0].function_arn : module.landing_notifier.function_arn
}

module "landing_notifier" {
  source = "./modules/lambda"

  function_name         = "${local.name}-landing-notifier"
  artifact_path         = "${local.lambda_artifacts_dir}/landing-notifier.zip"
  landing_bucket_arn    = module.storage.landing_bucket_arn
  log_retention_days    = var.lambda_log_retention_days
  dead_letter_queue_arn = module.alerts.landing_failures_queue_arn
}

# The serverless loader (landing_loader = "lambda"): built by `make lambda-zip`, it runs lib/oltp/load.py for each
# landed file. S3 then notifies the loader instead of the notifier (one notification per bucket).
module "landing_loader" {
  source = "./modules/landing_loader"
  count  = local.lambda_loads ? 1 : 0

  function_name              = "${local.name}-landing-loader"
  artifact_path              = "${local.lambda_artifacts_dir}/landing-loader.zip"
  artifacts_bucket_name      = module.storage.artifacts_bucket_name
  landing_bucket_arn         = module.storage.landing_bucket_arn
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  s3_prefix_list_id          = module.network.s3_prefix_list_id
  database_security_group_id = module.databases.security_group_id
  database = {
    host       = module.databases.instances["oltp"].address
    port       = module.databases.instances["oltp"].port
    name       = module.databases.instances["oltp"].db_name
    schema     = var.oltp_schema
    secret_arn = module.databases.master_user_secret_arns["oltp"]
  }
  log_retention_days    = var.lambda_log_retention_days
  dead_letter_queue_arn = module.alerts.landing_failures_queue_arn
}

module "bastion" {
  source = "./modules/bastion"

  name             = "${local.name}-bastion"
  vpc_id           = module.network.vpc_id
  vpc_cidr_block   = module.network.vpc_cidr_block
  subnet_id        = module.network.public_subnet_ids[0]
  instance_type    = var.bastion_instance_type
  ssh_allowed_cidr = var.bastion_ssh_allowed_cidr
  ssh_key_name     = var.bastion_ssh_key_name
}

# PostgreSQL accepts 5432 from the bastion; QuickSight's VPC connection, when enabled, adds its own rule to
# the databases' security group (modules/quicksight), so that rule exists exactly when QuickSight does.
module "databases" {
  source = "./modules/databases"

  name                       = local.name
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  allowed_security_group_ids = { bastion = module.bastion.security_group_id }
  instance_class             = var.db_instance_class
  engine_version             = var.db_engine_version
  allocated_storage          = var.db_allocated_storage
  master_username            = var.db_master_username
  backup_retention_period    = var.db_backup_retention_days
  deletion_protection        = var.db_deletion_protection
  skip_final_snapshot        = var.db_skip_final_snapshot
  apply_immediately          = var.db_apply_immediately
}

module "redshift" {
  source = "./modules/redshift"
  count  = var.enable_redshift ? 1 : 0

  name                  = local.name
  vpc_id                = module.network.vpc_id
  subnet_ids            = module.network.private_subnet_ids
  s3_prefix_list_id     = module.network.s3_prefix_list_id
  lake_bucket_arn       = module.storage.lake_bucket_arn
  base_capacity         = var.redshift_base_capacity
  daily_rpu_hours_limit = var.redshift_daily_rpu_hours_limit

  # 5439 from the bastion and, with Dagster on ECS, from its tasks (dbt and the warehouse loads run there).
  allowed_security_group_ids = merge(
    { bastion = module.bastion.security_group_id },
    var.enable_dagster ? { dagster = module.dagster[0].security_group_id } : {},
  )
}

module "dagster_runner_iam" {
  source = "./modules/iam"

  name                   = "${local.name}-dagster-runner"
  landing_bucket_arn     = module.storage.landing_bucket_arn
  lake_bucket_arn        = module.storage.lake_bucket_arn
  trusted_principal_arns = length(var.dagster_runner_trusted_principal_arns) > 0 ? var.dagster_runner_trusted_principal_arns : ["arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root"]
  alerts_topic_arn       = module.alerts.topic_arn
  secret_arns = concat(
    values(module.databases.master_user_secret_arns),
    [for redshift in module.redshift : redshift.admin_password_secret_arn],
  )
}

# Dagster in the cloud: code location, webserver and daemon on ECS Fargate, each run its own task
# (EcsRunLauncher), run and event storage in a `dagster` database on the OLTP instance (created by the image's
# entrypoint). The webserver is reachable only through an SSM port forward via the bastion.
module "dagster" {
  source = "./modules/dagster_ecs"
  count  = var.enable_dagster ? 1 : 0

  name                       = "${local.name}-dagster"
  vpc_id                     = module.network.vpc_id
  vpc_cidr_block             = module.network.vpc_cidr_block
  subnet_ids                 = module.network.public_subnet_ids
  bastion_security_group_id  = module.bastion.security_group_id
  database_security_group_id = module.databases.security_group_id
  dagster_storage = {
    host       = local.oltp.address
    port       = local.oltp.port
    db_name    = "dagster"
    secret_arn = module.databases.master_user_secret_arns["oltp"]
  }
  platform_settings   = local.platform_settings
  platform_policy_arn = module.dagster_runner_iam.policy_arn
  image_tag           = var.dagster_image_tag
  service_cpu         = var.dagster_service_cpu
  service_memory      = var.dagster_service_memory
  log_retention_days  = var.lambda_log_retention_days
}

module "quicksight" {
  source = "./modules/quicksight"
  count  = var.enable_quicksight ? 1 : 0

  name       = local.name
  vpc_id     = module.network.vpc_id
  subnet_ids = module.network.private_subnet_ids
  owner_arn  = var.quicksight_owner_arn

  # The warehouse dbt builds into (CHINOOK_WAREHOUSE_TARGET): Redshift when enabled, else the OLAP PostgreSQL.
  database_security_group_id = var.enable_redshift ? module.redshift[0].security_group_id : module.databases.security_group_id
  database = var.enable_redshift ? {
    engine     = "redshift"
    host       = module.redshift[0].workgroup_endpoint.address
    port       = module.redshift[0].workgroup_endpoint.port
    name       = module.redshift[0].database_name
    secret_arn = module.redshift[0].admin_password_secret_arn
    } : {
    engine     = "postgresql"
    host       = module.databases.instances["olap"].address
    port       = module.databases.instances["olap"].port
    name       = module.databases.instances["olap"].db_name
    secret_arn = module.databases.master_user_secret_arns["olap"]
  }
}

# Failures that alert: the SNS topic, alarms on the ECS services, RDS and the Lambdas, the failed-events queue and
# the monthly budget (terraform/README.md: when an alarm fires).
module "alerts" {
  source = "./modules/alerts"

  name                  = local.name
  email                 = var.alert_email
  monthly_budget_usd    = var.monthly_budget_usd
  ecs_cluster_name      = var.enable_dagster ? "${local.name}-dagster" : null
  ecs_service_names     = var.enable_dagster ? module.dagster[0].service_names : []
  lambda_function_names = concat(["${local.name}-landing-notifier"], local.lambda_loads ? ["${local.name}-landing-loader"] : [])
  db_instances = {
    for role in ["oltp", "olap"] : role => {
      identifier    = "${local.name}-${role}"
      allocated_gib = var.db_allocated_storage
    }
  }
}

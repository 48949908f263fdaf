data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  name       = "${var.project_name}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id

  # Redshift Serverless workgroups need subnets in three Availability Zones.
  az_count = var.enable_redshift ? max(var.az_count, 3) : var.az_count

  # Bucket names are global: the account id and Region make them unique without a random suffix.
  landing_bucket_name = "${local.name}-landing-${local.account_id}-${var.aws_region}"
  lake_bucket_name    = "${local.name}-lake-${local.account_id}-${var.aws_region}"

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
  noncurrent_version_expiration_days = var.s3_noncurrent_version_expiration_days
  force_destroy                      = var.s3_force_destroy
  landing_notifier_function_arn      = module.landing_notifier.function_arn
}

module "landing_notifier" {
  source = "./modules/lambda"

  function_name      = "${local.name}-landing-notifier"
  source_file        = "${path.module}/lambda/landing_notifier/handler.py"
  landing_bucket_arn = module.storage.landing_bucket_arn
  log_retention_days = var.lambda_log_retention_days
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

  name                       = local.name
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  s3_prefix_list_id          = module.network.s3_prefix_list_id
  allowed_security_group_ids = { bastion = module.bastion.security_group_id }
  lake_bucket_arn            = module.storage.lake_bucket_arn
  base_capacity              = var.redshift_base_capacity
  daily_rpu_hours_limit      = var.redshift_daily_rpu_hours_limit
}

module "dagster_runner_iam" {
  source = "./modules/iam"

  name                   = "${local.name}-dagster-runner"
  landing_bucket_arn     = module.storage.landing_bucket_arn
  lake_bucket_arn        = module.storage.lake_bucket_arn
  trusted_principal_arns = length(var.dagster_runner_trusted_principal_arns) > 0 ? var.dagster_runner_trusted_principal_arns : ["arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root"]
  secret_arns = concat(
    values(module.databases.master_user_secret_arns),
    [for redshift in module.redshift : redshift.admin_password_secret_arn],
  )
}

module "quicksight" {
  source = "./modules/quicksight"
  count  = var.enable_quicksight ? 1 : 0

  name                       = local.name
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  database_security_group_id = module.databases.security_group_id
  database = {
    host       = module.databases.instances["olap"].address
    port       = module.databases.instances["olap"].port
    name       = module.databases.instances["olap"].db_name
    secret_arn = module.databases.master_user_secret_arns["olap"]
  }
  owner_arn = var.quicksight_owner_arn
}

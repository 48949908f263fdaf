data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  region    = data.aws_region.current.name
  namespace = "${var.name}.internal"
  # The three long-running services, all from one image; runs are launched as tasks of the `run` family.
  services = {
    code-location = {
      command = ["dagster", "code-server", "start", "--host", "0.0.0.0", "--port", "4000", "--module-name", "chinook_platform"]
      port    = 4000
    }
    webserver = {
      command = ["dagster-webserver", "--host", "0.0.0.0", "--port", "3000", "--workspace", "/opt/dagster/app/deploy/workspace.yaml"]
      port    = 3000
    }
    daemon = {
      command = ["dagster-daemon", "run", "--workspace", "/opt/dagster/app/deploy/workspace.yaml"]
      port    = null
    }
  }

  storage_secret = var.dagster_storage.secret_arn
  environment = [for name, value in merge(var.platform_settings, {
    DAGSTER_PG_HOST             = var.dagster_storage.host
    DAGSTER_PG_PORT             = tostring(var.dagster_storage.port)
    DAGSTER_PG_DB               = var.dagster_storage.db_name
    DAGSTER_CODE_LOCATION_HOST  = "code-location.${local.namespace}"
    DAGSTER_CODE_LOCATION_PORT  = "4000"
    DAGSTER_RUN_TASK_DEFINITION = "${var.name}-run"
    DAGSTER_ECS_CLUSTER         = aws_ecs_cluster.this.name
    }) : { name = name, value = value }
  ]
  # ECS reads these from Secrets Manager when it starts a task: they are never in the task definition or state.
  secrets = [
    { name = "DAGSTER_PG_USER", valueFrom = "${local.storage_secret}:username::" },
    { name = "DAGSTER_PG_PASSWORD", valueFrom = "${local.storage_secret}:password::" },
  ]
  log_configuration = {
    logDriver = "awslogs"
    options = {
      awslogs-group         = aws_cloudwatch_log_group.this.name
      awslogs-region        = local.region
      awslogs-stream-prefix = "dagster"
    }
  }
}

# --- Image repository -----------------------------------------------------------------------------------

resource "aws_ecr_repository" "this" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete_images

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS" # the AWS-managed aws/ecr key: no key charge
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the newest ${var.images_to_keep} images"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = var.images_to_keep }
      action       = { type = "expire" }
    }]
  })
}

# --- Cluster, logs, service discovery ------------------------------------------------------------------

resource "aws_ecs_cluster" "this" {
  #checkov:skip=CKV_AWS_65:Container Insights is billed per metric; the services' logs and ECS's free metrics suffice for this size.
  name = var.name
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Log group encryption uses the CloudWatch Logs service key; a CMK costs USD 1/month.
  #checkov:skip=CKV_AWS_338:Run history and event logs live in Dagster's PostgreSQL storage; these are process logs.
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_service_discovery_private_dns_namespace" "this" {
  name        = local.namespace
  description = "Private names of the ${var.name} Dagster services (webserver, code-location)."
  vpc         = var.vpc_id
}

resource "aws_service_discovery_service" "this" {
  for_each = { for name, service in local.services : name => service if service.port != null }

  name = each.key

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.this.id
    routing_policy = "MULTIVALUE"

    dns_records {
      type = "A"
      ttl  = 10
    }
  }

  health_check_custom_config {
    failure_threshold = 1
  }
}

# --- Network: no inbound from the internet; the webserver only from the bastion (SSM port forward) -----

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-tasks-"
  description = "Dagster tasks of ${var.name}: webserver from the bastion only, gRPC among themselves."
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-tasks" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "webserver_from_bastion" {
  security_group_id            = aws_security_group.this.id
  description                  = "Dagster webserver from the SSM bastion"
  ip_protocol                  = "tcp"
  from_port                    = 3000
  to_port                      = 3000
  referenced_security_group_id = var.bastion_security_group_id
}

# The bastion's side of the SSM port forward to webserver:3000 (its own rules allow only HTTPS and the databases):
# it lives here so that it exists exactly when the webserver does.
resource "aws_vpc_security_group_egress_rule" "bastion_to_webserver" {
  security_group_id            = var.bastion_security_group_id
  description                  = "Dagster webserver, for the SSM port forward"
  ip_protocol                  = "tcp"
  from_port                    = 3000
  to_port                      = 3000
  referenced_security_group_id = aws_security_group.this.id
}

resource "aws_vpc_security_group_ingress_rule" "grpc_from_tasks" {
  security_group_id            = aws_security_group.this.id
  description                  = "Code location gRPC from the webserver, daemon and runs"
  ip_protocol                  = "tcp"
  from_port                    = 4000
  to_port                      = 4000
  referenced_security_group_id = aws_security_group.this.id
}

resource "aws_vpc_security_group_egress_rule" "grpc_to_tasks" {
  security_group_id            = aws_security_group.this.id
  description                  = "Code location gRPC"
  ip_protocol                  = "tcp"
  from_port                    = 4000
  to_port                      = 4000
  referenced_security_group_id = aws_security_group.this.id
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to AWS APIs (ECR, ECS, S3, Secrets Manager, CloudWatch Logs)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "postgres" {
  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL (OLTP, warehouse, Dagster storage)"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = var.database_security_group_id
}

resource "aws_vpc_security_group_egress_rule" "redshift" {
  security_group_id = aws_security_group.this.id
  description       = "Redshift Serverless inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 5439
  to_port           = 5439
  cidr_ipv4         = var.vpc_cidr_block
}

resource "aws_vpc_security_group_ingress_rule" "database_from_tasks" {
  security_group_id            = var.database_security_group_id
  description                  = "PostgreSQL from the Dagster tasks"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.this.id
}

# --- Roles ----------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_tasks_assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# ECS itself: pull the image, write the logs, read the Dagster storage secret into the task's environment.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  description        = "ECS task execution role of ${var.name}."
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume_role.json
}

data "aws_iam_policy_document" "execution" {
  #checkov:skip=CKV_AWS_356:ecr:GetAuthorizationToken supports no resource-level permission.
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "PullImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.this.arn]
  }

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid       = "InjectStorageCredentials"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [local.storage_secret]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "ecs-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# The platform's code: the runner's least-privilege policy (buckets, database secrets) plus launching runs.
resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  description        = "Role of the ${var.name} Dagster tasks (services and runs)."
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume_role.json
}

resource "aws_iam_role_policy_attachment" "platform" {
  role       = aws_iam_role.task.name
  policy_arn = var.platform_policy_arn
}

data "aws_iam_policy_document" "run_launcher" {
  #checkov:skip=CKV_AWS_111:ecs:RegisterTaskDefinition and ecs:TagResource of new run tasks cannot be scoped before the resources exist.
  #checkov:skip=CKV_AWS_356:ecs:DescribeTaskDefinition, ecs:ListAccountSettings and ec2:DescribeNetworkInterfaces support no resource-level permission.
  statement {
    sid       = "LaunchRuns"
    actions   = ["ecs:RunTask"]
    resources = ["arn:${data.aws_partition.current.partition}:ecs:${local.region}:${data.aws_caller_identity.current.account_id}:task-definition/${var.name}-run:*"]
  }

  statement {
    sid       = "WatchAndStopRuns"
    actions   = ["ecs:DescribeTasks", "ecs:StopTask"]
    resources = ["arn:${data.aws_partition.current.partition}:ecs:${local.region}:${data.aws_caller_identity.current.account_id}:task/${aws_ecs_cluster.this.name}/*"]
  }

  statement {
    sid = "DescribeForRuns"
    actions = [
      "ecs:DescribeTaskDefinition",
      "ecs:ListAccountSettings",
      "ecs:RegisterTaskDefinition",
      "ecs:TagResource",
      "ec2:DescribeNetworkInterfaces",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "PassRolesToRuns"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.execution.arn, aws_iam_role.task.arn]
  }
}

resource "aws_iam_role_policy" "run_launcher" {
  name   = "dagster-ecs-run-launcher"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.run_launcher.json
}

# --- Task definitions and services ----------------------------------------------------------------------

resource "aws_ecs_task_definition" "service" {
  #checkov:skip=CKV_AWS_336:dbt writes its target and logs folders beside the project and Dagster its compute logs; the image runs as a non-root user owning only those folders.
  for_each = local.services

  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.service_cpu
  memory                   = var.service_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }

  container_definitions = jsonencode([{
    name                   = "dagster"
    image                  = "${aws_ecr_repository.this.repository_url}:${var.image_tag}"
    essential              = true
    command                = each.value.command
    environment            = local.environment
    secrets                = local.secrets
    readonlyRootFilesystem = false
    portMappings           = each.value.port == null ? [] : [{ containerPort = each.value.port, protocol = "tcp" }]
    logConfiguration       = merge(local.log_configuration, { options = merge(local.log_configuration.options, { awslogs-stream-prefix = each.key }) })
    # ECS injects the storage password once, at task start: after a rotation the login is refused, this check
    # fails, and ECS replaces the task, whose new password ECS reads from the secret (lib/secrets.py).
    healthCheck = {
      command     = ["CMD", "python", "-m", "chinook_platform.lib.secrets", "--check-dagster-storage"]
      interval    = 60
      timeout     = 15
      retries     = 3
      startPeriod = 120
    }
  }])
}

# One task per run (EcsRunLauncher, dagster.yaml), sized for dbt; the command is the launcher's.
resource "aws_ecs_task_definition" "run" {
  #checkov:skip=CKV_AWS_336:dbt writes its target and logs folders beside the project and Dagster its compute logs; the image runs as a non-root user owning only those folders.
  family                   = "${var.name}-run"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.run_cpu
  memory                   = var.run_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }

  container_definitions = jsonencode([{
    name                   = "run"
    image                  = "${aws_ecr_repository.this.repository_url}:${var.image_tag}"
    essential              = true
    environment            = local.environment
    secrets                = local.secrets
    readonlyRootFilesystem = false
    logConfiguration       = merge(local.log_configuration, { options = merge(local.log_configuration.options, { awslogs-stream-prefix = "run" }) })
  }])
}

resource "aws_ecs_service" "this" {
  for_each = local.services

  name            = each.key
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.service[each.key].arn
  desired_count   = 1
  launch_type     = "FARGATE"
  # The daemon must never run twice (it would launch every run twice): stop the old task first.
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  network_configuration {
    #checkov:skip=CKV_AWS_333:Public subnets with a public IP for outbound calls only (no ingress rule allows the internet); a NAT gateway or interface endpoints would cost USD 32+/month.
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = var.assign_public_ip
  }

  dynamic "service_registries" {
    for_each = contains(keys(aws_service_discovery_service.this), each.key) ? [aws_service_discovery_service.this[each.key].arn] : []

    content {
      registry_arn = service_registries.value
    }
  }
}

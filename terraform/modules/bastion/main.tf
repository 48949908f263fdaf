data "aws_partition" "current" {}

data "aws_ec2_instance_type" "this" {
  instance_type = var.instance_type
}

locals {
  architecture = contains(data.aws_ec2_instance_type.this.supported_architectures, "arm64") ? "arm64" : "x86_64"
}

# The latest Amazon Linux 2023 AMI, published by AWS as a public SSM parameter (an AMI id is not a secret,
# hence nonsensitive() below).
data "aws_ssm_parameter" "al2023_ami" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${local.architecture}"
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  description        = "Instance role of ${var.name}: SSM Session Manager only."
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

resource "aws_iam_role_policy_attachment" "ssm_core" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "this" {
  name = var.name
  role = aws_iam_role.this.name
}

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-"
  description = "Bastion ${var.name}: no inbound unless SSH is explicitly allowed; SSM, PostgreSQL and Redshift outbound."
  vpc_id      = var.vpc_id

  tags = { Name = var.name }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  count = var.ssh_allowed_cidr == null ? 0 : 1

  security_group_id = aws_security_group.this.id
  description       = "SSH from the operator-supplied CIDR"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = var.ssh_allowed_cidr
}

resource "aws_vpc_security_group_egress_rule" "https" {
  #checkov:skip=CKV_AWS_382:The SSM agent and dnf need HTTPS to public AWS endpoints; VPC interface endpoints would cost about USD 22/month.
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to SSM endpoints and package repositories"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "databases" {
  for_each = {
    postgres = 5432
    redshift = 5439
  }

  security_group_id = aws_security_group.this.id
  description       = "${each.key} inside the VPC"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = var.vpc_cidr_block
}

resource "aws_instance" "this" {
  #checkov:skip=CKV_AWS_88:A public address lets the SSM agent reach Systems Manager without a NAT gateway or paid interface endpoints; no inbound port is open by default.
  #checkov:skip=CKV_AWS_126:Detailed monitoring is billed; basic 5-minute metrics suffice for a bastion.
  ami                         = nonsensitive(data.aws_ssm_parameter.al2023_ami.value)
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [aws_security_group.this.id]
  iam_instance_profile        = aws_iam_instance_profile.this.name
  associate_public_ip_address = true
  key_name                    = var.ssh_key_name
  ebs_optimized               = true
  monitoring                  = false

  # "standard" keeps a burstable instance from accruing surplus-credit charges ("unlimited" is the t3 default).
  credit_specification {
    cpu_credits = "standard"
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required" # IMDSv2 only
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    encrypted             = true
    volume_type           = "gp3"
    volume_size           = var.root_volume_size
    delete_on_termination = true
  }

  tags = { Name = var.name }

  lifecycle {
    # A new AL2023 release would otherwise replace the bastion on the next apply; replace it deliberately
    # with `terraform apply -replace=module.bastion.aws_instance.this`.
    ignore_changes = [ami]
  }
}

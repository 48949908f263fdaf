# Datasets over the warehouse's KPI and mart tables (dbt's `analytics` schema), and the sales dashboard.
# datasets.json holds each table's columns with QuickSight types; a test keeps it in step with dbt's YAML.

locals {
  datasets = jsondecode(file("${path.module}/datasets.json"))

  dataset_actions = [
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:UpdateDataSet",
    "quicksight:DeleteDataSet",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
    "quicksight:UpdateDataSetPermissions",
  ]
}

resource "aws_quicksight_data_set" "this" {
  for_each = local.datasets

  aws_account_id = data.aws_caller_identity.current.account_id
  data_set_id    = "${var.name}-${replace(each.key, "_", "-")}"
  name           = "Chinook ${each.key}"
  # Queries go to the warehouse as they are asked: no SPICE capacity to buy, always the latest build.
  import_mode = "DIRECT_QUERY"

  physical_table_map {
    physical_table_map_id = each.key

    relational_table {
      data_source_arn = aws_quicksight_data_source.olap.arn
      schema          = var.analytics_schema
      name            = each.key

      dynamic "input_columns" {
        for_each = each.value

        content {
          name = input_columns.key
          type = input_columns.value
        }
      }
    }
  }

  dynamic "permissions" {
    for_each = var.owner_arn == null ? [] : [var.owner_arn]

    content {
      principal = permissions.value
      actions   = local.dataset_actions
    }
  }
}

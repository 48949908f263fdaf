locals {
  # Ranked bar charts: (dataset, category column, title).
  bar_charts = {
    top-customers = { data_set = "kpi_top_customers", category = "customer_name", title = "Top customers by lifetime value", value = "lifetime_value" }
    genres        = { data_set = "kpi_genre_sales", category = "genre_name", title = "Revenue by genre", value = "revenue" }
    countries     = { data_set = "kpi_country_sales", category = "billing_country", title = "Revenue by country", value = "revenue" }
    artists       = { data_set = "kpi_artist_sales", category = "artist_name", title = "Revenue by artist", value = "revenue" }
    media-types   = { data_set = "kpi_media_type_sales", category = "media_type_name", title = "Revenue by media type", value = "revenue" }
    segments      = { data_set = "kpi_customer_segments", category = "segment", title = "Revenue by customer segment", value = "revenue" }
  }
  headline_figures = {
    revenue   = "Revenue"
    invoices  = "Invoices"
    customers = "Customers"
  }
  dashboard_data_sets = toset(concat(["kpi_headline", "kpi_monthly_revenue"], [for chart in values(local.bar_charts) : chart.data_set]))
}

resource "aws_quicksight_dashboard" "sales" {
  aws_account_id      = data.aws_caller_identity.current.account_id
  dashboard_id        = "${var.name}-sales"
  name                = "Chinook sales (${var.name})"
  version_description = "Headline figures, revenue trend, top customers, genre, country, artist, media type and segment performance."

  definition {
    dynamic "data_set_identifiers_declarations" {
      for_each = local.dashboard_data_sets

      content {
        identifier   = data_set_identifiers_declarations.value
        data_set_arn = aws_quicksight_data_set.this[data_set_identifiers_declarations.value].arn
      }
    }

    sheets {
      sheet_id = "sales"
      name     = "Sales"

      dynamic "visuals" {
        for_each = local.headline_figures

        content {
          kpi_visual {
            visual_id = "headline-${visuals.key}"

            title {
              format_text {
                plain_text = visuals.value
              }
            }

            chart_configuration {
              field_wells {
                values {
                  numerical_measure_field {
                    field_id = "headline-${visuals.key}-value"

                    column {
                      data_set_identifier = "kpi_headline"
                      column_name         = visuals.key
                    }

                    aggregation_function {
                      simple_numerical_aggregation = "SUM"
                    }
                  }
                }
              }
            }
          }
        }
      }

      visuals {
        line_chart_visual {
          visual_id = "revenue-trend"

          title {
            format_text {
              plain_text = "Revenue by month"
            }
          }

          chart_configuration {
            field_wells {
              line_chart_aggregated_field_wells {
                category {
                  date_dimension_field {
                    field_id         = "revenue-trend-month"
                    date_granularity = "MONTH"

                    column {
                      data_set_identifier = "kpi_monthly_revenue"
                      column_name         = "month_start"
                    }
                  }
                }

                values {
                  numerical_measure_field {
                    field_id = "revenue-trend-revenue"

                    column {
                      data_set_identifier = "kpi_monthly_revenue"
                      column_name         = "revenue"
                    }

                    aggregation_function {
                      simple_numerical_aggregation = "SUM"
                    }
                  }
                }
              }
            }
          }
        }
      }

      dynamic "visuals" {
        for_each = local.bar_charts

        content {
          bar_chart_visual {
            visual_id = visuals.key

            title {
              format_text {
                plain_text = visuals.value.title
              }
            }

            chart_configuration {
              orientation = "HORIZONTAL"

              field_wells {
                bar_chart_aggregated_field_wells {
                  category {
                    categorical_dimension_field {
                      field_id = "${visuals.key}-category"

                      column {
                        data_set_identifier = visuals.value.data_set
                        column_name         = visuals.value.category
                      }
                    }
                  }

                  values {
                    numerical_measure_field {
                      field_id = "${visuals.key}-value"

                      column {
                        data_set_identifier = visuals.value.data_set
                        column_name         = visuals.value.value
                      }

                      aggregation_function {
                        simple_numerical_aggregation = "SUM"
                      }
                    }
                  }
                }
              }

              sort_configuration {
                category_sort {
                  field_sort {
                    field_id  = "${visuals.key}-value"
                    direction = "DESC"
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  dynamic "permissions" {
    for_each = var.owner_arn == null ? [] : [var.owner_arn]

    content {
      principal = permissions.value
      actions = [
        "quicksight:DescribeDashboard",
        "quicksight:ListDashboardVersions",
        "quicksight:UpdateDashboardPermissions",
        "quicksight:QueryDashboard",
        "quicksight:UpdateDashboard",
        "quicksight:DeleteDashboard",
        "quicksight:DescribeDashboardPermissions",
        "quicksight:UpdateDashboardPublishedVersion",
      ]
    }
  }
}

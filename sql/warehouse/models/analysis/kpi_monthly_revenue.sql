{#
    One row per calendar month from the first to the last invoice, months without sales included (revenue 0), so
    the month before is always the previous row and the same month a year earlier is twelve rows back.
#}
with monthly as (

    select * from {{ ref('mart_monthly_revenue') }}

),

months as (

    select distinct month_start from {{ ref('dim_date') }}

),

filled as (

    select
        months.month_start,
        coalesce(monthly.invoices, 0) as invoices,
        coalesce(monthly.customers, 0) as customers,
        coalesce(monthly.quantity, 0) as units,
        coalesce(monthly.revenue, 0) as revenue
    from months
    left join monthly on monthly.month_start = months.month_start

),

compared as (

    select
        *,
        lag(revenue) over (order by month_start) as previous_month_revenue,
        lag(revenue, 12) over (order by month_start) as previous_year_revenue
    from filled

),

final as (

    select
        month_start,
        cast(extract(year from month_start) as integer) as year_number,
        invoices,
        customers,
        units,
        revenue,
        case
            when invoices > 0 then cast(revenue / invoices as numeric(12, 2))
        end as average_invoice_value,
        previous_month_revenue,
        cast((revenue - previous_month_revenue) / nullif(previous_month_revenue, 0) as numeric(12, 4))
            as revenue_change_mom,
        previous_year_revenue,
        cast((revenue - previous_year_revenue) / nullif(previous_year_revenue, 0) as numeric(12, 4))
            as revenue_change_yoy
    from compared

)

select * from final

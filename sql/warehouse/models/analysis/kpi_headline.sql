{#
    One row: the numbers a dashboard opens with, over every invoice in the warehouse (zeros when there is none),
    invoices that do not reconcile with their lines included (kpi_data_issues states them).
#}
with invoices as (

    select * from {{ ref('fct_invoice') }}

),

totals as (

    select
        coalesce(sum(total), 0) as revenue,
        count(*) as invoices,
        count(distinct customer_id) as customers,
        cast(coalesce(sum(quantity), 0) as {{ dbt.type_bigint() }}) as units,
        min(invoice_date) as first_invoice_at,
        max(invoice_date) as last_invoice_at
    from invoices

),

final as (

    select
        revenue,
        invoices,
        customers,
        units,
        cast(revenue / nullif(invoices, 0) as numeric(12, 2)) as average_invoice_value,
        cast(first_invoice_at as date) as first_invoice_date,
        cast(last_invoice_at as date) as last_invoice_date
    from totals

)

select * from final

{#
    One row: the numbers a dashboard opens with, over every invoice in the warehouse (zeros when there is none).
    Invoices that do not reconcile with their lines are included, and stated: how many, and by how much their
    totals exceed their lines (data_issues).
#}
with invoices as (

    select * from {{ ref('fct_invoice') }}

),

issues as (

    select * from {{ ref('data_issues') }}

),

totals as (

    select
        coalesce(sum(total), 0) as revenue,
        count(*) as invoices,
        count(distinct customer_id) as customers,
        coalesce(sum(quantity), 0) as units,
        min(invoice_date) as first_invoice_at,
        max(invoice_date) as last_invoice_at
    from invoices

),

unreconciled as (

    select
        count(distinct invoice_id) as unreconciled_invoices,
        coalesce(sum(difference), 0) as unreconciled_amount
    from issues
    where issue = 'total_differs_from_lines'

),

final as (

    select
        revenue,
        invoices,
        customers,
        units,
        cast(revenue / nullif(invoices, 0) as numeric(12, 2)) as average_invoice_value,
        cast(first_invoice_at as date) as first_invoice_date,
        cast(last_invoice_at as date) as last_invoice_date,
        (select unreconciled.unreconciled_invoices from unreconciled) as unreconciled_invoices,
        (select unreconciled.unreconciled_amount from unreconciled) as unreconciled_amount
    from totals

)

select * from final

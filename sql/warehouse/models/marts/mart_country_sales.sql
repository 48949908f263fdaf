with invoices as (

    select * from {{ ref('fct_invoice') }}

),

by_country as (

    select
        billing_country,
        sum(total) as revenue,
        count(*) as invoices,
        count(distinct customer_id) as customers
    from invoices
    group by billing_country

),

final as (

    select
        billing_country,
        revenue,
        invoices,
        customers,
        cast(revenue / invoices as numeric(12, 2)) as average_invoice_value,
        cast(revenue / sum(revenue) over () as numeric(8, 6)) as revenue_share
    from by_country

)

select * from final

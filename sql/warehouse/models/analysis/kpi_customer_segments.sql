{# Customers and revenue per RFM segment of the Single Customer View (prospects: customers with no invoice yet). #}
with customers as (

    select * from {{ ref('mart_single_customer_view') }}

),

by_segment as (

    select
        segment,
        count(*) as customers,
        sum(lifetime_value) as revenue,
        cast(sum(invoice_count) as {{ dbt.type_bigint() }}) as invoices
    from customers
    group by segment

),

final as (

    select
        segment,
        customers,
        invoices,
        revenue,
        cast(revenue / nullif(customers, 0) as numeric(12, 2)) as average_lifetime_value,
        cast(1.0 * customers / sum(customers) over () as numeric(8, 6)) as customer_share,
        cast(revenue / nullif(sum(revenue) over (), 0) as numeric(8, 6)) as revenue_share
    from by_segment

)

select * from final

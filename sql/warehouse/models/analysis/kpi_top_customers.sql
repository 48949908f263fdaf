{# The ten customers with the highest lifetime value (ties broken by customer_id, so the list is stable). #}
with customers as (

    select * from {{ ref('mart_single_customer_view') }}
    where invoice_count > 0

),

ranked as (

    select
        *,
        row_number() over (order by lifetime_value desc, customer_id asc) as customer_rank
    from customers

),

final as (

    select
        customer_rank,
        customer_id,
        {{ dbt.concat(["first_name", "' '", "last_name"]) }} as customer_name,
        country,
        invoice_count,
        lifetime_value,
        average_invoice_value,
        segment
    from ranked
    where customer_rank <= 10

)

select * from final

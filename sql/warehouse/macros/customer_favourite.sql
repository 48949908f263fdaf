{#
    CTEs ending in `name`: each customer's favourite value of a dim_track column (genre_name, artist_name), the
    most spent on, then the most bought, then the first by name, so the result is deterministic on every engine.
    Picked by narrowing (the top spend, the top quantity among those, the least name among those) rather than by
    ranking every candidate with a window: the same answer without sorting millions of (customer, value) pairs.
#}
{% macro customer_favourite(name, lines, tracks, column) -%}
{{ name }}_candidates as (

    select
        {{ lines }}.customer_id,
        {{ tracks }}.{{ column }},
        sum({{ lines }}.line_amount) as spend,
        sum({{ lines }}.quantity) as quantity
    from {{ lines }}
    inner join {{ tracks }} on {{ tracks }}.track_id = {{ lines }}.track_id
    group by {{ lines }}.customer_id, {{ tracks }}.{{ column }}

),

{{ name }}_top_spend as (

    select customer_id, max(spend) as spend
    from {{ name }}_candidates
    group by customer_id

),

{{ name }}_top_spenders as (

    select {{ name }}_candidates.*
    from {{ name }}_candidates
    inner join {{ name }}_top_spend
        on {{ name }}_top_spend.customer_id = {{ name }}_candidates.customer_id
        and {{ name }}_top_spend.spend = {{ name }}_candidates.spend

),

{{ name }}_top_quantity as (

    select customer_id, max(quantity) as quantity
    from {{ name }}_top_spenders
    group by customer_id

),

{{ name }} as (

    select {{ name }}_top_spenders.customer_id, min({{ name }}_top_spenders.{{ column }}) as {{ column }}
    from {{ name }}_top_spenders
    inner join {{ name }}_top_quantity
        on {{ name }}_top_quantity.customer_id = {{ name }}_top_spenders.customer_id
        and {{ name }}_top_quantity.quantity = {{ name }}_top_spenders.quantity
    group by {{ name }}_top_spenders.customer_id

)
{%- endmacro %}

{#
    Each customer's favourite value of a dim_track column (genre_name, artist_name): the most spent on,
    then the most bought, then the first by name, so the result is deterministic on every engine.
#}
{% macro customer_favourite(lines, tracks, column) -%}
select customer_id, {{ column }}
from (
    select
        customer_id,
        {{ column }},
        row_number() over (
            partition by customer_id order by spend desc, quantity desc, {{ column }} asc
        ) as preference
    from (
        select
            {{ lines }}.customer_id,
            {{ tracks }}.{{ column }},
            sum({{ lines }}.line_amount) as spend,
            sum({{ lines }}.quantity) as quantity
        from {{ lines }}
        inner join {{ tracks }} on {{ tracks }}.track_id = {{ lines }}.track_id
        group by {{ lines }}.customer_id, {{ tracks }}.{{ column }}
    ) as spend_by_customer
) as ranked
where preference = 1
{%- endmacro %}

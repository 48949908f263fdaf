{#
    A grain test: no two rows share the same values of these columns (dbt_utils' unique_combination_of_columns,
    written here because the project installs no dbt packages). Rows with a null in them are not_null's business.
#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(',\n    ') }},
    count(*) as row_count
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}

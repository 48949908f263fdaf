{# The highest _load_id already in an incremental model (0 on a full build). #}
{% macro incremental_watermark() -%}
    {{ source_watermark('_load_id') }}
{%- endmacro %}

{#
    The highest value of one of an incremental model's load-id columns (0 on a full build). A model built from
    several staging tables keeps one such column per table: each table is staged in load order, but the tables
    are staged independently, so one watermark per table is what makes a late table's rows count.
#}
{% macro source_watermark(column) -%}
    {% if is_incremental() %}(select coalesce(max({{ column }}), 0) from {{ this }}){% else %}0{% endif %}
{%- endmacro %}

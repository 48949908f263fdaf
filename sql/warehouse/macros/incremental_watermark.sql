{# The highest _load_id already in an incremental model (0 on a full build). #}
{% macro incremental_watermark() -%}
    {{ source_watermark('_load_id') }}
{%- endmacro %}

{#
    The highest value of one of an incremental model's load-id columns (0 on a full build). A model built from
    several staging tables keeps one such column per table: each table is staged in load order, but the tables
    are staged independently, so one watermark per table is what makes a late table's rows count. 0 too when the
    model's table predates the column (a full pass once; on_schema_change then adds it).
#}
{% macro source_watermark(column) -%}
    {%- if is_incremental() -%}
        {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
        {%- if column | lower in existing -%}
            (select coalesce(max({{ column }}), 0) from {{ this }})
        {%- else -%}
            0
        {%- endif -%}
    {%- else -%}
        0
    {%- endif -%}
{%- endmacro %}

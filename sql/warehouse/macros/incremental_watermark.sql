{#
    The one watermark scheme of the incremental models (dim_track, fct_invoice_line, fct_invoice): a model keeps,
    for each staging table it reads, the load id of the version it used (_track_load_id, _line_load_id,
    _invoice_load_id, ...), and a run rebuilds the keys with a version newer than the highest such value already
    here. One per table, not one for the model: the tables are staged independently (each in load order), so a
    single combined watermark would pass over a late table's rows.
    0 on a full build, and when the model's table predates the column (a full pass once; on_schema_change then
    adds it).
#}
{% macro incremental_watermark(column) -%}
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

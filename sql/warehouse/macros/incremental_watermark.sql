{# The highest _load_id already in an incremental model (0 on a full build). #}
{% macro incremental_watermark() -%}
    {% if is_incremental() %}(select coalesce(max(_load_id), 0) from {{ this }}){% else %}0{% endif %}
{%- endmacro %}

{#
    A post-hook of the marts: on PostgreSQL, ANALYZE the table just built, so the models built on it in the same
    run are planned with its real size (PostgreSQL's autovacuum would refresh the statistics only later).
    Redshift analyzes tables made by CREATE TABLE AS itself; DuckDB keeps statistics as it writes.
#}
{% macro refresh_statistics() -%}
    {%- if target.type == 'postgres' -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}

{# Generated from the table contract (chinook_platform/lib/contract) by `make dbt-sources`: do not edit. #}
{% macro contract_type(name) %}
    {#- A contract column type ('integer', 'text', 'money', 'timestamp') as a dbt model casts to it. -#}
    {%- set casts = {
        'integer': 'integer',
        'text': 'varchar',
        'money': 'numeric(10, 2)',
        'timestamp': 'timestamp',
    } -%}
    {{- casts[name] -}}
{% endmacro %}

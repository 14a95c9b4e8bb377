-- Fails (returns rows) when a mart has a column whose name looks like personal data: the
-- citizen ID (CCCD, or the older CMND), a phone number, a date of birth, an e-mail address, or
-- the practitioner pseudonym (same list as open_data/privacy.py). The refs also make dbt build
-- run this test after the marts exist.

{% set marts = [
    ref('dim_health_facilities'),
    ref('fct_practice_certificates'),
    ref('rpt_health_capacity_by_ward'),
] %}

select
    table_schema,
    table_name,
    column_name

from information_schema.columns
where (
    {%- for mart in marts %}
    {% if not loop.first %}or {% endif -%}
    (table_catalog = '{{ mart.database }}'
        and table_schema = '{{ mart.schema }}'
        and table_name = '{{ mart.identifier }}')
    {%- endfor %}
)
  and regexp_matches(
      lower(column_name),
      'cccd|cmnd|citizen_?id|national_?id|phone|dien_thoai|mobile|date_of_birth|ngay_sinh|birth|dob|email|practitioner_key'
  )

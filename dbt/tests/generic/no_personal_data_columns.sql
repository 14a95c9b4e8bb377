{#
    Model-level test for every mart: fails (returns rows) when the model has a column whose name
    looks like personal data: the citizen ID (CCCD, or the older CMND), a phone number, a date of
    birth, an e-mail address, a person's pseudonym key (same list as open_data/privacy.py).
#}
{% test no_personal_data_columns(model) %}

select
    table_schema,
    table_name,
    column_name

from information_schema.columns
where table_catalog = '{{ model.database }}'
  and table_schema = '{{ model.schema }}'
  and table_name = '{{ model.identifier }}'
  and regexp_matches(
      lower(column_name),
      'cccd|cmnd|citizen_?id|national_?id|phone|dien_thoai|mobile|date_of_birth|ngay_sinh|birth|dob|email|practitioner_key|applicant_key|complainant_key|holder_key|representative_key|caller_key'
  )

{% endtest %}

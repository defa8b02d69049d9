'use strict';
// Django's admin/js/autocomplete.js, except that each lookup is a POST: what staff type (a
// person's name, a phone number) travels in the request's body, never in a URL, so never in
// an access log or the browser's history (REQ LOG-2). The site's autocomplete view
// (accounts.admin_site.PostedAutocompleteJsonView) answers POST only. Found before Django's
// own file: STATICFILES_DIRS come first.
{
    const $ = django.jQuery;

    const csrfToken = () => {
        const field = document.querySelector('input[name="csrfmiddlewaretoken"]');
        return field ? field.value : '';
    };

    $.fn.djangoAdminSelect2 = function() {
        $.each(this, function(i, element) {
            $(element).select2({
                ajax: {
                    type: 'POST',
                    headers: {'X-CSRFToken': csrfToken()},
                    data: (params) => {
                        return {
                            term: params.term,
                            page: params.page,
                            app_label: element.dataset.appLabel,
                            model_name: element.dataset.modelName,
                            field_name: element.dataset.fieldName
                        };
                    }
                }
            });
        });
        return this;
    };

    $(function() {
        // Initialize all autocomplete widgets except the one in the template
        // form used when a new formset is added.
        $('.admin-autocomplete').not('[name*=__prefix__]').djangoAdminSelect2();
    });

    document.addEventListener('formset:added', (event) => {
        $(event.target).find('.admin-autocomplete').djangoAdminSelect2();
    });
}

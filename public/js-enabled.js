// Loaded at the start of <body> instead of the inline script in govuk-frontend's template, so the
// Content Security Policy can forbid every inline script.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');

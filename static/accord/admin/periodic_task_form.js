// django-celery-beat's periodic-task form: under the crontab field, say in words what the chosen
// schedule means. The same behaviour as the package's inline script, served as a file.
"use strict";
(function ($) {
  const readableCrontabs = JSON.parse(document.getElementById("readable-crontabs").textContent);
  const originalCrontabHelp = document.getElementById("periodic-task-overrides").dataset.crontabHelp;

  const updateCrontabHelp = function (additional) {
    const help = $(".field-crontab .help");
    help.text(originalCrontabHelp);
    help.append(document.createElement("br"), document.createTextNode("Translation: " + additional));
  };

  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    updateCrontabHelp(readableCrontabs[$("#id_crontab").val()]);
  });
})(django.jQuery);

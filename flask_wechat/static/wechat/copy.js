/* flask-wechat: the "Copy address" button (templates/wechat/_address.html).
   The only script the pages load, and the only one their Content-Security-Policy
   allows. Without it the button stays hidden and the address is still there to select. */
(function () {
  "use strict";

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function report(button, copied) {
    var status = document.getElementById(button.getAttribute("data-wechat-status"));
    if (status) {
      status.textContent = button.getAttribute(copied ? "data-copied" : "data-copy-failed");
    }
  }

  function copyBySelection(button, target) {
    // Older browsers, and pages served over plain http (no clipboard API there).
    selectText(target);
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    report(button, copied);
  }

  var buttons = document.querySelectorAll("[data-wechat-copy]");
  Array.prototype.forEach.call(buttons, function (button) {
    var target = document.getElementById(button.getAttribute("data-wechat-copy"));
    if (!target) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.textContent.trim();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () {
            selectText(target);
            report(button, true);
          },
          function () {
            copyBySelection(button, target);
          }
        );
      } else {
        copyBySelection(button, target);
      }
    });
  });
})();

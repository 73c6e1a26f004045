/*
 * A filter box for the time zone list on the preferences page.
 *
 * The list works without this script (a <select> grouped by region: type a city's first
 * letters to jump to it). With it, a search box above the list narrows it to the zones whose
 * city, country or zone name contains what was typed, accents and case ignored, and says
 * how many are left. The list itself stays the form field, so the form posts as before.
 */
(function () {
    "use strict";

    function fold(text) {
        return text
            .normalize("NFD")
            .replace(/[\u0300-\u036f]/g, "")
            .toLowerCase();
    }

    function setUp(box) {
        var select = document.getElementById(box.getAttribute("data-zone-filter"));
        var input = box.querySelector("input");
        var status = box.querySelector("[aria-live]");
        if (!select || !input) {
            return;
        }
        var options = Array.prototype.slice.call(select.querySelectorAll("option"));
        var haystacks = options.map(function (option) {
            return fold(option.textContent + " " + option.value.replace(/_/g, " "));
        });

        function apply() {
            var query = fold(input.value.trim());
            var shown = 0;
            var firstShown = null;
            options.forEach(function (option, index) {
                // "Not set" always stays: it is a choice, not a place.
                var keep = !query || !option.value || haystacks[index].indexOf(query) !== -1;
                option.hidden = !keep;
                option.disabled = !keep;
                if (keep && option.value) {
                    shown += 1;
                    firstShown = firstShown || option;
                }
            });
            select.querySelectorAll("optgroup").forEach(function (group) {
                group.hidden = !group.querySelector("option:not([hidden])");
            });
            var selected = select.options[select.selectedIndex];
            if (query && firstShown && (!selected || selected.hidden || !selected.value)) {
                firstShown.selected = true;
            }
            if (!query) {
                status.textContent = "";
            } else if (shown) {
                status.textContent = status.getAttribute("data-template").replace("{count}", shown);
            } else {
                status.textContent = status.getAttribute("data-none");
            }
        }

        input.addEventListener("input", apply);
        input.addEventListener("keydown", function (event) {
            // Enter moves on to the list rather than submitting a half-made choice.
            if (event.key === "Enter") {
                event.preventDefault();
                select.focus();
            }
        });
        box.hidden = false;
    }

    function run() {
        document.querySelectorAll("[data-zone-filter]").forEach(setUp);
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", run);
    } else {
        run();
    }
})();

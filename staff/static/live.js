// The live page: ask for the calls being put through every second and redraw the table. While they cannot be
// read the last rows stay and a "Reconnecting" note shows. Data goes in with textContent only, never as HTML.
(function () {
  "use strict";

  var table = document.getElementById("live-calls");
  if (!table) {
    return;
  }
  var body = table.tBodies[0];
  var note = document.getElementById("live-note");
  var noteText = document.getElementById("live-note-text");
  var source = table.getAttribute("data-source");
  var pollMs = parseInt(table.getAttribute("data-poll-ms"), 10) || 1000;
  var timeoutMs = Math.max(pollMs * 5, 5000); // a database that hangs must show the note, not freeze the page
  var columns = table.tHead.rows[0].cells.length;
  var RECONNECTING = "Reconnecting… The live calls cannot be read just now; the rows shown may be out of date.";
  var SIGNED_OUT = "Your sign-in has ended: reload the page to sign in again. The rows shown may be out of date.";
  var EMPTY = "No calls are being put through right now.";

  function cell(row, text, className) {
    var td = row.insertCell(-1);
    if (className) {
      td.className = className;
    }
    if (text !== undefined) {
      td.textContent = text;
    }
    return td;
  }

  function link(parent, href, text, className) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (className) {
      a.className = className;
    }
    parent.appendChild(a);
    return a;
  }

  function contactsCell(row, contacts) {
    var td = cell(row);
    if (!contacts.length) {
      td.textContent = "None";
      return;
    }
    var list = document.createElement("ul");
    list.className = "live__contacts";
    contacts.forEach(function (contact) {
      var item = document.createElement("li");
      link(item, contact.url, contact.reference);
      item.appendChild(document.createTextNode(" " + contact.service_label + ", " + contact.status));
      list.appendChild(item);
    });
    td.appendChild(list);
  }

  function addRow(tbody, call) {
    var row = tbody.insertRow(-1);
    row.setAttribute("data-call", String(call.id));
    var reference = cell(row);
    if (call.reference) {
      link(reference, call.contact_url, call.reference, "live__reference");
    } else {
      reference.textContent = "–";
    }
    cell(row, call.service_label);
    var school = cell(row, call.school);
    if (call.urn) {
      var urn = document.createElement("span");
      urn.className = "hint";
      urn.textContent = "(URN " + call.urn + ")";
      school.appendChild(document.createTextNode(" "));
      school.appendChild(urn);
    }
    cell(row, call.identified_by);
    cell(row, call.caller);
    cell(row, call.time_in_menu, "num");
    contactsCell(row, call.open_contacts);
  }

  function render(calls) {
    var tbody = document.createElement("tbody");
    if (!calls.length) {
      var row = tbody.insertRow(-1);
      row.className = "live__empty";
      cell(row, EMPTY).colSpan = columns;
    }
    calls.forEach(function (call) {
      addRow(tbody, call);
    });
    table.replaceChild(tbody, body);
    body = tbody;
  }

  function showNote(text) {
    if (noteText.textContent !== text) {
      noteText.textContent = text;
    }
    note.hidden = false;
  }

  function poll() {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, timeoutMs);
    // redirect "manual": a sign-in that has ended answers with a redirect to the sign-in page, not calls.
    fetch(source, {credentials: "same-origin", redirect: "manual", cache: "no-store",
                   headers: {Accept: "application/json"}, signal: controller.signal})
      .then(function (response) {
        if (response.type === "opaqueredirect") {
          showNote(SIGNED_OUT);
          return;
        }
        if (!response.ok) {
          throw new Error("the live calls answered " + response.status);
        }
        return response.json().then(function (data) {
          render(data.calls);
          note.hidden = true;
        });
      })
      .catch(function () {
        showNote(RECONNECTING);
      })
      .then(function () {
        clearTimeout(timer);
        setTimeout(poll, pollMs);
      });
  }

  setTimeout(poll, pollMs);
}());

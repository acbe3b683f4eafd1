"""Every sentence the live call speaks, in one module: reviewing the wording means reading this file.

Sentences with a gap are filled with str.format. The menu's lines are the defaults of routing.menu.Wording,
which a trial may vary (options 2 to 4 and the closing line only). What a status callback says (SMS or
voice, and option 4's reading of a status, in the same words) is callbacks/messages.py.
"""
from __future__ import annotations

from routing.vocabulary import Route

# How each service is named in a sentence.
SERVICE_NAMES = {
    Route.MASH: "MASH",
    Route.DSL_INFOLINE: "the DSL Infoline",
    Route.EARLY_HELP: "Early Help",
    Route.EDT: "the Emergency Duty Team",
}

# ---- The menu (in the order it is spoken) ----
# The defaults are the council's poster: MASH for urgent or ongoing concerns, or a disabled child's specialist
# social care assessment; the Infoline when uncertain and wanting advice; Early Help when you first think a child
# or family might be struggling. Supervisors publish new wordings (/menu); routing/menu_rules.py keeps them safe.
DANGER = "If a child is in immediate danger, hang up and call 999."
OPTION1 = "For urgent or ongoing concerns, press 1, or stay on the line."
OPTION1_CLOSED = "MASH is closed. Urgent? Press 1, or stay on the line, for the Emergency Duty Team."
OPTION2 = "Uncertain, want advice? Press 2 for the DSL Infoline."
OPTION2_CLOSED = "To leave a message for the DSL Infoline, press 2."
OPTION3 = "First think a family is struggling? Press 3 for Early Help."
OPTION3_CLOSED = "To leave a message for Early Help, press 3."
OPTION4 = "To check on an earlier contact, press 4."
CLOSING = "MASH also does disabled children's specialist assessments."
NOT_AN_OPTION = "That is not an option."
# Emergency mode (a service's phones are down): said after option 1, and every key then reaches MASH.
EMERGENCY = "Our other lines are not working just now, so every call goes to MASH."
# After silence only this short form is replayed: the whole menu again would keep a silent caller
# from MASH for over a minute. Keys 1 to 4 still act during it, and staying on the line is urgent.
SHORT_REPLAY = "Stay on the line for urgent help, or press 2, 3 or 4."

# ---- Transfers ----
TRYING_AGAIN = "Sorry, {service} did not answer. Trying once more."
SERVICE_BUSY = ("Sorry, {service} cannot answer just now. If your concern is urgent, press 1 for {urgent}. "
                "Otherwise, press 2, or stay on the line, to leave a message.")
# In hours, a busy Infoline or Early Help first offers to call back ({when}: "today", "tomorrow", "on Monday"...,
# the day the target time falls on).
SERVICE_BUSY_CALL_BACK = ("To be called back by {service} {when}, press 2. If your concern is urgent, press 1 for "
                          "{urgent}. Or press 3 to leave a message.")
NO_ONE_ANSWERED = "Sorry, no one could answer. If a child is in immediate danger, call 999."
THANKS_GOODBYE = "Thank you for calling. Goodbye."

# ---- Messages ----
LEAVE_MESSAGE = ("Please leave a short message for {service} after the tone with your name, school and number, "
                 "then press hash.")
LEAVE_MESSAGE_CLOSED = ("{Service} is closed now. Please leave a short message after the tone with your name, "
                        "school and number, then press hash.")
LEAVE_MESSAGE_URGENT = ("Sorry, {service} cannot answer. Please leave a short message after the tone with your "
                        "name, school and number, then press hash. It will be passed on as urgent.")
NO_MESSAGE = "We did not receive a message. If a child is in immediate danger, call 999. Goodbye."
URGENT_MESSAGE_PASSED = "Thank you. Your message has been passed to MASH as urgent."
DANGER_GOODBYE = "If a child is in immediate danger, call 999. Goodbye."
URGENT_MESSAGE_TAKEN = f"{URGENT_MESSAGE_PASSED} {DANGER_GOODBYE}"
MESSAGE_RECORDED = "Thank you. Your message for {service} has been recorded."
MESSAGE_TAKEN = MESSAGE_RECORDED + " Goodbye."

# ---- A busy line's callback request (ivr/voice/callback_request.py) ----
CALL_BACK_ON = "To be called back on {number}, press 1."
GIVE_ANOTHER_NUMBER = "To give another number, press 2."
ASK_CALL_BACK_NUMBER = "Please type the number to call you back on, starting 0, then press hash."
NOT_A_UK_NUMBER = "That is not a UK phone number."
CALL_BACK_BY = "Thank you. {Service} will call you back by {when}. Goodbye."
NO_CALL_BACK = "We could not take a number to call you back on."

# ---- The caller's school (Infoline and Early Help only) ----
URN_PROMPT = "Please type your school's 6-digit URN, then press hash. Or press star to skip."
READ_BACK = "You said {name}. Press 1 if that's right, or 2 to try again."
KNOWN_CALLER = "Calling from {name}."
CONFIRMED = "Thank you."
URN_REPROMPTS = {
    "no_input": "Sorry, I did not hear a number.",
    "not_six_digits": "A school's URN has 6 digits.",
    "not_found": "I could not find a school with that number.",
    "retry": "Let's try again.",
}

# ---- Option 4: the status of an earlier contact ----
ASK_REFERENCE = "Please enter the 6-digit contact reference, then press hash."
NO_REFERENCE_HEARD = "Sorry, I did not hear a reference."
REFERENCE_NOT_FOUND = "Sorry, that reference was not found."
NOT_FOUND_MENU = "That reference was not found."
# The DSL's verdict, after a status is read (option 4) or a status callback is heard: 2 puts them through.
VERDICT = "If this answered your question, press 1. If you still need to speak to someone, press 2."
VERDICT_URGENT = "If your concern is urgent, press 2 for {urgent}."
STATUS_THEN_URGENT = "{status} " + VERDICT + " " + VERDICT_URGENT

# ---- After a transfer, when the service hung up first: the caller's reference (routing/references.py) ----
REFERENCE_IS = "Your reference is {reference}."
DECIDE_BY = "{Service} will decide by {when}."
DECISION_TO_FOLLOW = "{Service} will let you know its decision."
QUOTE_REFERENCE = "Quote it if you call about this concern again."
REFERENCE_OFFER = "To hear it again, press 1. To have it sent by text to a mobile, press 2."
ASK_MOBILE = "Please type the mobile number, starting 0 7, then press hash."
NOT_A_UK_MOBILE = "That is not a UK mobile number."
NO_MOBILE_HEARD = "Sorry, I did not hear a number."
MOBILE_READ_BACK = "You typed {number}. To send the text to this number, press 1."
TYPE_AGAIN = "To type it again, press 2."
TEXT_ON_ITS_WAY = "Thank you. Your reference will be texted to that number. Goodbye."
TEXT_ALREADY_SENT = "Your reference has already been sent by text. Goodbye."
NO_TEXT_SENT = "No text will be sent. Thank you for calling. Goodbye."

# ---- Option 4, for a caller with open contacts (routing/references.py) ----
OPEN_CONTACTS = "You have {count} open contacts."
ONE_OPEN_CONTACT = "You have 1 open contact."
MANY_OPEN_CONTACTS = "You have more than {count} open contacts."
OPEN_CONTACT_DECISION = "{reference}: {status}, decision expected by {when}."
OPEN_CONTACT_LATE = "{reference}: {status}, a decision is taking longer than we hoped."
OPEN_CONTACT_SERVICE = "{reference}: with {service}, {status}."
OPEN_CONTACTS_NEXT = VERDICT + " " + VERDICT_URGENT + " To ask about another reference, press 3."

# ---- "Call back": what the member of staff hears on their own phone before the caller is dialled ----
CALL_BACK_PRESS_1 = "This is a call back to a caller who asked {service} to ring them. Press 1 to be connected."
CALL_BACK_NOT_CONNECTED = "No key was pressed, so the caller has not been dialled. Goodbye."
CALLING_BACK = "Calling back the caller who asked {service} to ring them. Please hold."
CALL_BACK_ENDED = "The call has ended. Its outcome is on the message. Goodbye."
CALL_BACK_FAILED = "Sorry, the call back could not be made. Please try again from the message page. Goodbye."

# ---- A voice callback to a DSL (its news is callbacks/messages.py) ----
HEAR_AGAIN = "To hear this again, press 3."
GOODBYE = "Goodbye."
VERDICT_THANKS = "Thank you. Goodbye."
PUTTING_YOU_THROUGH = "Putting you through to {service}."
UPDATE_NOT_PUT_THROUGH = "No one could answer just now. Please ring {number} and choose from the menu. Goodbye."
CALLBACK_TROUBLE = "This is {sender} with an update on your contact. Please ring {number}."


def capitalised(text: str) -> str:
    """A service's name at the start of a sentence: 'the DSL Infoline' becomes 'The DSL Infoline'."""
    return text[:1].upper() + text[1:]


# ---- An urgent alert to a duty number (callbacks/webhooks.py) ----
ALERT_ACCEPTED = "Thank you. You have accepted it, and no one else will be called. Goodbye."
ALERT_ALREADY_ACCEPTED = "This urgent message was already accepted, by {by} at {at}. No action is needed. Goodbye."
ALERT_ALREADY_CLOSED = "This urgent message has already been closed by staff. No action is needed. Goodbye."
ALERT_NOT_ACCEPTED = "Not accepted. We will call the next number. Goodbye."
ALERT_TROUBLE = "This is Warwickshire MASH. An urgent message is waiting: please check the messages inbox now."

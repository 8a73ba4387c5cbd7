"""Common English words that are not a person's name, for reading a signed STOP.

"STOP - John" is signed; "Cancel - Reschedule", "Stop. Great Job" and "QUIT - JOB" are
not: a capitalised word after a stop keyword is a name only when it is none of these.
The list is the most frequent English words plus what customers text a business about
(appointments, orders, bills, jobs, services). Words that are mostly first names
(Will, Mark, Grace, Rose, Frank, Jack ...) are left out on purpose: a signature with
them opts out. A word missing here at worst opts out a "STOP - <word>", which is the
safe side of the law; a name wrongly listed here is only flagged for a person.
Pure Python.
"""

from __future__ import annotations

_WORDS = """
    a about above across act action actually add address after afternoon again against
    age ago agree ah ahead all allow almost alone along already also always am amazing
    among amount an and another answer any anymore anyone anything anyway anywhere
    appointment appointments appreciate are area around arrive arrived as ask asked at
    available away awesome back bad bank be because become bed been before begin behind
    being believe best better between big bill billing bills bit book booked booking both
    box break bring broken brother business busy but buy by call called calling came can
    cancel cancelled canceled cancellation car card care case cash change changed charge
    charged check child children city class clean clear close closed come coming company
    complete completed confirm confirmed confirmation consult contact cost could country
    couple course cut dad date day days deal dear delete delivered delivery dentist
    dental did different dinner do doctor does doing done door down drive during each
    early easy eat else email emails end ended ending enough even evening event ever every
    everyone everything exactly example eye face fact family far fast feel few fill final
    find fine finish finished first fix fixed follow food for forever forget form forward
    free friday friend friends from front full fun future game gave get gets getting give
    given glad go goes going gone good got great group guess had half hand happen happy
    hard has have having he head hear heard hello help her here hey hi high him his hold
    home hour hours house how however i idea if im important in info information
    inside instead interested into invoice is issue it item its job jobs just keep kid
    kids kind know last late later least leave left less let letter life like line list
    little live long look looking lot love lunch made mail main make man many matter me
    mean meet meeting member message messages might mind minute minutes miss mom moment
    monday money month months more morning most mother move much must my name need needed
    never new news next nice night no none noon nope nor not note nothing notice now
    number of off offer office often oh ok okay old on once one only open or order ordered
    orders other our out outside over own paid part party pay payment people period person
    phone pick place plan please point possible post price problem pay program put quick
    quite rather read ready real really reason receipt receive received remind reminder
    remove reply request reschedule rescheduled reservation rest return right room run
    said same saturday saw say school second see seem seen send sent service services set
    she ship shipped shipping shop should show sign since sir slot small so some someone
    something soon sorry sound speak start started state status stay still stop store
    story street such sunday support sure system take talk team tell test text texts than
    thank thanks that the their them then there these they thing things think this those
    though thought through thursday ticket time times to today together told tomorrow
    tonight too took top total tried true try trying tuesday turn two under understand
    unsubscribe until up update updates upon us use used very visit wait want wanted was
    watch way we wednesday week weekend weeks welcome well went were what when where
    whether which while who whole why wife with within without woman work working would
    wow wrong yeah year years yes yet you your yours
    light asap pm january february march april may june july august september october
    november december
"""
COMMON_WORDS = frozenset(_WORDS.split())

package mqtt

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func msg(topic string) outMsg { return outMsg{topic: topic} }

func capMsg(seq uint64) outMsg {
	c := Caption{Seq: seq}
	return outMsg{topic: "caption", caption: &c}
}

func checkBalance(t *testing.T, q *queue) {
	t.Helper()
	enq, pub, drop, pending := q.counts()
	require.Equal(t, enq, pub+drop+uint64(pending), "enqueued = published + dropped + pending")
}

func TestQueueDropsOldest(t *testing.T) {
	q := newQueue(3)
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		require.True(t, q.push(msg(s)))
		checkBalance(t, q)
	}
	var got []string
	for {
		m, _, ok := q.take()
		if !ok {
			break
		}
		got = append(got, m.topic)
		q.finish(m, 0, true)
	}
	require.Equal(t, []string{"c", "d", "e"}, got)
	enq, pub, drop, pending := q.counts()
	require.Equal(t, [4]uint64{5, 3, 2, 0}, [4]uint64{enq, pub, drop, uint64(pending)})
}

func TestQueueFailedSendGoesBackFirst(t *testing.T) {
	q := newQueue(3)
	q.push(msg("a"))
	q.push(msg("b"))
	m, _, ok := q.take()
	require.True(t, ok)
	_, _, ok = q.take()
	require.False(t, ok, "one message in flight at a time")
	q.finish(m, 0, false)
	checkBalance(t, q)
	m, _, _ = q.take()
	require.Equal(t, "a", m.topic, "a failed message keeps its place")

	// While a is in flight the queue fills; a, the oldest, is then dropped.
	q.push(msg("c"))
	q.push(msg("d"))
	q.finish(m, 0, false)
	checkBalance(t, q)
	_, _, drop, pending := q.counts()
	require.Equal(t, uint64(1), drop)
	require.Equal(t, 3, pending)
	m, _, _ = q.take()
	require.Equal(t, "b", m.topic)
}

func TestQueuePushFrontAndClose(t *testing.T) {
	q := newQueue(2)
	q.push(msg("a"))
	q.push(msg("b"))
	require.True(t, q.pushFront(msg("status")))
	m, _, _ := q.take()
	require.Equal(t, "status", m.topic)
	q.finish(m, 0, true)
	m, _, _ = q.take()
	require.Equal(t, "b", m.topic, "a was dropped to make room")
	q.finish(m, 0, true)

	require.True(t, q.pushLast(msg("offline")))
	require.False(t, q.push(msg("late")))
	require.False(t, q.pushFront(msg("late")))
	require.Equal(t, 1, q.abandon())
	checkBalance(t, q)
	enq, pub, drop, pending := q.counts()
	require.Equal(t, [4]uint64{4, 2, 2, 0}, [4]uint64{enq, pub, drop, uint64(pending)})
}

func TestQueueReportsDroppedCaptions(t *testing.T) {
	q := newQueue(2)
	for seq := uint64(1); seq <= 5; seq++ {
		q.push(capMsg(seq))
	}
	q.push(msg("answer")) // drops caption 4; answers do not count as captions
	m, reported, _ := q.take()
	require.Equal(t, uint64(5), m.caption.Seq)
	require.Equal(t, uint64(4), reported)
	q.finish(m, reported, false) // not sent: still to report
	m, reported, _ = q.take()
	require.Equal(t, uint64(4), reported)
	q.push(capMsg(6))
	q.push(capMsg(7)) // drops "answer" while 5 is in flight
	q.finish(m, reported, true)
	m, reported, _ = q.take()
	require.Equal(t, uint64(6), m.caption.Seq)
	require.Equal(t, uint64(0), reported, "reported once")
	q.push(capMsg(8))
	q.push(capMsg(9)) // drops 7 while 6 is in flight
	q.finish(m, reported, true)
	m, reported, _ = q.take()
	require.Equal(t, uint64(8), m.caption.Seq)
	require.Equal(t, uint64(1), reported, "7 was dropped")
	q.finish(m, reported, true)
	checkBalance(t, q)
}

// A full queue drops captions and statuses before replies: someone waits for each
// answer or error, while a caption is superseded by the next. Only a queue of replies
// drops a reply (the oldest). A reply whose send failed goes back in before a caption.
func TestQueueKeepsRepliesOverCaptions(t *testing.T) {
	reply := func(topic string) outMsg { return outMsg{topic: topic, reply: true} }
	drain := func(q *queue) []string {
		var got []string
		for {
			m, rep, ok := q.take()
			if !ok {
				return got
			}
			got = append(got, m.topic)
			q.finish(m, rep, true)
		}
	}
	q := newQueue(3)
	for _, m := range []outMsg{capMsg(1), reply("a1"), capMsg(2), reply("a2"), reply("a3")} {
		require.True(t, q.push(m))
		checkBalance(t, q)
	}
	require.Equal(t, []string{"a1", "a2", "a3"}, drain(q), "both captions gave way to the answers")

	for _, m := range []outMsg{reply("e1"), reply("e2"), reply("e3"), reply("e4")} {
		require.True(t, q.push(m))
	}
	require.Equal(t, []string{"e2", "e3", "e4"}, drain(q), "only replies: the oldest goes")

	// A reply fails to send while the queue fills with captions: it goes back, a caption goes.
	require.True(t, q.push(reply("r")))
	m, rep, ok := q.take()
	require.True(t, ok)
	for seq := uint64(3); seq <= 5; seq++ {
		require.True(t, q.push(capMsg(seq)))
	}
	q.finish(m, rep, false)
	checkBalance(t, q)
	require.Equal(t, []string{"r", "caption", "caption"}, drain(q))
	_, pub, drop, _ := q.counts()
	require.Equal(t, uint64(4), drop, "captions 1 and 2, reply e1, caption 3")
	require.Equal(t, uint64(9), pub)

	// Replies fill the queue (the broker is away) and captions keep coming: the new
	// captions go, not the waiting replies; the next caption published reports them.
	for _, m := range []outMsg{reply("b1"), reply("b2"), reply("b3"), capMsg(6), capMsg(7)} {
		require.True(t, q.push(m))
		checkBalance(t, q)
	}
	require.Equal(t, []string{"b1", "b2", "b3"}, drain(q), "every reply kept")
	require.True(t, q.push(capMsg(8)))
	m, rep, ok = q.take()
	require.True(t, ok)
	require.Equal(t, uint64(2), rep, "caption 8 reports captions 6 and 7 dropped")
	q.finish(m, rep, true)
	_, _, drop, _ = q.counts()
	require.Equal(t, uint64(6), drop)
}

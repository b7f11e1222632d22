package server

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/policy"
)

// Audit batching bounds: a batch is written when it holds MaxAuditBatch
// inquiries or its first is MaxAuditDelay old, whichever comes first; at
// most AuditQueue inquiries wait behind the batch being written (a
// decision waits for room beyond that rather than go unrecorded). A crash
// loses at most the inquiries queued and the batch being written: those
// of the last MaxAuditDelay plus one disk write, never more than
// AuditQueue + MaxAuditBatch.
const (
	MaxAuditBatch = 1000
	MaxAuditDelay = 50 * time.Millisecond
	AuditQueue    = 8192
)

type auditItem struct {
	inq    *credo.Inquiry
	notice *credo.AdverseNotice
}

// AuditLog writes every decision to the audit trail in batches, off the
// decision path, and completes each adverse-action notice with the
// standing and records behind it. Close flushes what is queued.
type AuditLog struct {
	logger *slog.Logger
	audit  credo.Audit
	ledger credo.Ledger
	prgs   map[string]*policy.Program // by policy version, for notices

	ch     chan auditItem
	done   chan struct{}
	mu     sync.RWMutex // Record holds it to read, Close to close ch
	closed bool
	err    error // the first failed write, read after done
}

// NewAuditLog starts the writer of audit. Notices are completed from
// ledger under prgs (either may be nil: notices then name the measure
// only).
func NewAuditLog(logger *slog.Logger, audit credo.Audit, ledger credo.Ledger, prgs []*policy.Program) *AuditLog {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &AuditLog{logger: logger, audit: audit, ledger: ledger, prgs: map[string]*policy.Program{},
		ch: make(chan auditItem, AuditQueue), done: make(chan struct{})}
	for _, p := range prgs {
		a.prgs[p.VersionID()] = p
	}
	go a.run()
	return a
}

// Record queues one decision. It waits only when the queue is full.
func (a *AuditLog) Record(ctx context.Context, inq *credo.Inquiry, n *credo.AdverseNotice) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.closed { // a request that outlived the shutdown's grace
		a.logger.ErrorContext(ctx, "audit: decision after the audit log closed", slog.String("request_id", inq.RequestID),
			slog.String("consumer", inq.Consumer), slog.String("subject", inq.Subject.String()), slog.String("action", inq.Action), slog.Bool("decision", inq.Decision))
		return
	}
	select {
	case a.ch <- auditItem{inq, n}:
	default:
		a.logger.WarnContext(ctx, "audit queue full: the decision waits for the audit writer", slog.String("request_id", inq.RequestID))
		a.ch <- auditItem{inq, n}
	}
}

// Close writes what is queued and stops the writer. Decisions must have
// stopped (the server shut down) before. It returns the first write that
// failed, if any did.
func (a *AuditLog) Close() error {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		close(a.ch)
	}
	a.mu.Unlock()
	<-a.done
	return a.err
}

func (a *AuditLog) run() {
	defer close(a.done)
	var (
		inqs    []*credo.Inquiry
		notices []*credo.AdverseNotice
		timer   = time.NewTimer(time.Hour)
	)
	timer.Stop()
	flush := func() {
		if len(inqs) == 0 {
			return
		}
		ctx := context.Background()
		memo := map[credo.SubjectRef][]*credo.Record{} // one read a subject a batch
		for _, n := range notices {
			a.complete(ctx, n, memo)
		}
		// In the order a store keyed by subject and time keeps them: a
		// sorted batch goes into an ordered store front to back.
		slices.SortFunc(inqs, func(x, y *credo.Inquiry) int {
			if c := cmp.Compare(x.Subject.Kind, y.Subject.Kind); c != 0 {
				return c
			}
			if c := strings.Compare(x.Subject.ID, y.Subject.ID); c != 0 {
				return c
			}
			return x.Time.Compare(y.Time)
		})
		if err := a.audit.AppendAudit(ctx, inqs, notices); err != nil {
			if a.err == nil {
				a.err = err
			}
			// The decisions were made; their trail must not be lost
			// silently: log every one of them.
			a.logger.Error("audit: writing a batch failed; the inquiries follow", slog.Any("err", err), slog.Int("inquiries", len(inqs)))
			for _, q := range inqs {
				a.logger.Error("audit: unwritten inquiry", slog.String("request_id", q.RequestID), slog.String("consumer", q.Consumer),
					slog.String("subject", q.Subject.String()), slog.String("action", q.Action), slog.Bool("decision", q.Decision))
			}
		}
		inqs, notices = inqs[:0], notices[:0]
	}
	for {
		select {
		case it, ok := <-a.ch:
			if !ok {
				flush()
				return
			}
			if len(inqs) == 0 {
				timer.Reset(MaxAuditDelay)
			}
			inqs = append(inqs, it.inq)
			if it.notice != nil {
				notices = append(notices, it.notice)
			}
			if len(inqs) >= MaxAuditBatch {
				timer.Stop()
				flush()
			}
		case <-timer.C:
			flush()
		}
	}
}

// complete adds to a notice the standing and records behind each denying
// measure, computed from the subject's records in the ledger (read once a
// batch: memo keeps them).
func (a *AuditLog) complete(ctx context.Context, n *credo.AdverseNotice, memo map[credo.SubjectRef][]*credo.Record) {
	if a.ledger == nil {
		return
	}
	recs, read := memo[n.Subject]
	for i := range n.Measures {
		m := &n.Measures[i]
		prg := a.prgs[m.PolicyVersion]
		if prg == nil {
			continue
		}
		if !read {
			read = true
			a.logger.Info("read subject records", slog.String("subject", n.Subject.String()),
				slog.String("why", "adverse-action notice"), slog.String("notice", n.ID), slog.String("request_id", n.RequestID))
			for r, err := range a.ledger.SubjectRecords(ctx, n.Subject) {
				if err != nil {
					a.logger.Error("audit: reading records for a notice", slog.String("notice", n.ID), slog.Any("err", err))
					return
				}
				recs = append(recs, r)
			}
			memo[n.Subject] = recs
		}
		st := prg.Standing(n.Subject, recs, n.Time)
		m.Grade = st.Grade
		gr := st.GradeReason
		m.GradeReason = &gr
		m.Lists = st.Lists
		if gr.Record != "" {
			m.Records = append(m.Records, gr.Record)
		}
		for _, l := range st.Lists {
			if l.Record != "" && !slices.Contains(m.Records, l.Record) {
				m.Records = append(m.Records, l.Record)
			}
		}
		for _, c := range st.Contributions {
			if c.Points < 0 && !slices.Contains(m.Records, c.Record) {
				m.Records = append(m.Records, c.Record)
			}
		}
	}
}

package server

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/policy"
)

// Audit batching bounds: a batch is written (one synced write) when it
// holds MaxAuditBatch inquiries or its first is MaxAuditDelay old,
// whichever comes first; while one is written, the decisions made meanwhile
// gather for the next, up to AuditQueue of them (a decision waits for room
// beyond that rather than go unrecorded), and the next batch takes them
// all. A crash loses at most the inquiries gathered and the batch being
// written: those of the last MaxAuditDelay plus one disk write, never more
// than 2 × AuditQueue.
const (
	MaxAuditBatch = 4096
	MaxAuditDelay = 50 * time.Millisecond
	AuditQueue    = 8192
)

type auditItem struct {
	inq    *credo.Inquiry
	notice *credo.AdverseNotice
	slab   *answerSlab // holding inq, released once inq is written (nil: none)
}

// done releases the items' holds on their slabs.
func done(items []auditItem) {
	for _, it := range items {
		if it.slab != nil {
			it.slab.release(1)
		}
	}
}

// AuditLog writes every decision to the audit trail in batches, off the
// decision path, and completes each adverse-action notice with the
// standing and records behind it. Close flushes what is queued.
//
// Decisions gather in pending, under mu, one lock a request however many
// decisions it made; the writer takes them all at once and writes them
// while the next batch gathers.
type AuditLog struct {
	logger *slog.Logger
	audit  credo.Audit
	ledger credo.Ledger
	prgs   map[string]*policy.Program // by policy version, for notices

	mu      sync.Mutex
	room    sync.Cond // on mu: the writer took pending
	pending []auditItem
	first   time.Time     // when pending got its first item
	kick    chan struct{} // wakes the writer: pending got its first item or a batch's worth, or the log closed
	closed  bool
	done    chan struct{}
	err     error // the first failed write, read after done

	// indexer, when the trail has one to run (pebble's IndexAudit), runs
	// beside the writer, once after each write at most.
	indexer     auditIndexer
	indexKick   chan struct{}
	indexerDone chan struct{}
}

// auditIndexer is a trail that indexes what was written in bulk, apart
// from the writes.
type auditIndexer interface {
	IndexAudit(ctx context.Context) error
}

// NewAuditLog starts the writer of audit. Notices are completed from
// ledger under prgs (either may be nil: notices then name the measure
// only).
func NewAuditLog(logger *slog.Logger, audit credo.Audit, ledger credo.Ledger, prgs []*policy.Program) *AuditLog {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &AuditLog{logger: logger, audit: audit, ledger: ledger, prgs: map[string]*policy.Program{},
		kick: make(chan struct{}, 1), done: make(chan struct{})}
	a.room.L = &a.mu
	for _, p := range prgs {
		a.prgs[p.VersionID()] = p
	}
	if ix, ok := audit.(auditIndexer); ok {
		a.indexer, a.indexKick, a.indexerDone = ix, make(chan struct{}, 1), make(chan struct{})
		go a.runIndexer()
	}
	go a.run()
	return a
}

// runIndexer indexes the trail after writes, until the writer stops.
func (a *AuditLog) runIndexer() {
	defer close(a.indexerDone)
	for range a.indexKick {
		if err := a.indexer.IndexAudit(context.Background()); err != nil {
			// The inquiries are written: reads find them unindexed.
			a.logger.Error("audit: indexing the trail", slog.Any("err", err))
		}
	}
}

// Record queues one decision. It waits only when the queue is full.
func (a *AuditLog) Record(ctx context.Context, inq *credo.Inquiry, n *credo.AdverseNotice) {
	items := [1]auditItem{{inq: inq, notice: n}}
	a.record(ctx, items[:])
}

// record queues a request's decisions, waiting for room when the queue is
// full.
func (a *AuditLog) record(ctx context.Context, items []auditItem) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed { // a request that outlived the shutdown's grace
		for _, it := range items {
			inq := it.inq
			a.logger.ErrorContext(ctx, "audit: decision after the audit log closed", slog.String("request_id", inq.RequestID),
				slog.String("consumer", inq.Consumer), slog.String("subject", inq.Subject.String()), slog.String("action", inq.Action), slog.Bool("decision", inq.Decision))
		}
		done(items)
		return
	}
	for len(items) > 0 {
		if len(a.pending) >= AuditQueue {
			a.logger.WarnContext(ctx, "audit queue full: the decision waits for the audit writer", slog.String("request_id", items[0].inq.RequestID))
			for len(a.pending) >= AuditQueue {
				a.room.Wait()
			}
		}
		n := min(len(items), AuditQueue-len(a.pending))
		if len(a.pending) == 0 {
			a.first = time.Now()
			a.wake()
		}
		a.pending = append(a.pending, items[:n]...)
		items = items[n:]
		if len(a.pending) >= MaxAuditBatch {
			a.wake()
		}
	}
}

func (a *AuditLog) wake() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// Close writes what is queued and stops the writer. Decisions must have
// stopped (the server shut down) before. It returns the first write that
// failed, if any did.
func (a *AuditLog) Close() error {
	a.mu.Lock()
	a.closed = true
	a.wake()
	a.mu.Unlock()
	<-a.done
	return a.err
}

func (a *AuditLog) run() {
	defer close(a.done)
	if a.indexer != nil {
		defer func() { close(a.indexKick); <-a.indexerDone }()
	}
	var (
		spare   []auditItem
		inqs    []*credo.Inquiry
		notices []*credo.AdverseNotice
		timer   = time.NewTimer(time.Hour)
	)
	timer.Stop()
	for {
		a.mu.Lock()
		n, wait, closed := len(a.pending), MaxAuditDelay-time.Since(a.first), a.closed
		if n == 0 && closed {
			a.mu.Unlock()
			return
		}
		if n == 0 || (n < MaxAuditBatch && wait > 0 && !closed) {
			a.mu.Unlock()
			if n > 0 {
				timer.Reset(wait)
			}
			select {
			case <-a.kick:
			case <-timer.C:
			}
			timer.Stop()
			continue
		}
		batch := a.pending
		a.pending = spare[:0]
		a.room.Broadcast()
		a.mu.Unlock()

		inqs, notices = inqs[:0], notices[:0]
		for _, it := range batch {
			inqs = append(inqs, it.inq)
			if it.notice != nil {
				notices = append(notices, it.notice)
			}
		}
		a.write(inqs, notices)
		if a.indexer != nil {
			select {
			case a.indexKick <- struct{}{}:
			default: // it is indexing: it will be asked again after the next write
			}
		}
		done(batch) // the inquiries are written: let them go
		clear(batch)
		spare = batch[:0]
		clear(inqs)
		clear(notices)
	}
}

// write completes the notices and writes one batch; a failure is logged
// with every inquiry of the batch.
func (a *AuditLog) write(inqs []*credo.Inquiry, notices []*credo.AdverseNotice) {
	ctx := context.Background()
	memo := map[credo.SubjectRef][]*credo.Record{} // one read a subject a batch
	var subjects, read []string
	for _, n := range notices {
		if a.complete(ctx, n, memo) {
			subjects, read = append(subjects, n.Subject.String()), append(read, n.ID)
		}
	}
	if len(read) > 0 {
		// one line a batch rather than one a notice: at a million
		// decisions a second, denials would be tens of thousands of lines
		a.logger.Info("read subject records", slog.String("why", "adverse-action notices"),
			slog.Any("subjects", subjects), slog.Any("notices", read))
	}
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
}

// complete adds to a notice the standing and records behind each denying
// measure, computed from the subject's records in the ledger (read once a
// batch: memo keeps them). It reports whether it used them.
func (a *AuditLog) complete(ctx context.Context, n *credo.AdverseNotice, memo map[credo.SubjectRef][]*credo.Record) (used bool) {
	if a.ledger == nil {
		return false
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
			for r, err := range a.ledger.SubjectRecords(ctx, n.Subject) {
				if err != nil {
					a.logger.Error("audit: reading records for a notice", slog.String("notice", n.ID), slog.Any("err", err))
					return false
				}
				recs = append(recs, r)
			}
			memo[n.Subject] = recs
		}
		used = true
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
	return used
}
